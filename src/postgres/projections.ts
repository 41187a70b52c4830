import { createHash } from "node:crypto";
import { StoreError } from "../db/errors.js";
import type { StoredEvent } from "../events/envelope.js";
import { EVENT_TYPES, type EventType, eventTypes } from "../events/schemas.js";
import type { PoolClient } from "./connection.js";

/**
 * The projections of src/projections/, in PostgreSQL's SQL, with the same semantics row for
 * row (a cross-backend test compares every table). Differences of dialect only: parameters
 * are cast (PostgreSQL infers no type from an INSERT ... SELECT), booleans are boolean,
 * `max(a, b)` is GREATEST, `DATE(t)` of a canonical UTC time is its first ten characters,
 * and ids are the newest + 1 as SQLite's AUTOINCREMENT gives them (the append holds the
 * log's lock, so no other transaction takes the same).
 */
const TIER = `CASE
         WHEN final_score >= 8.0 THEN 'Excellent'
         WHEN final_score >= 6.0 THEN 'Good'
         WHEN final_score >= 4.0 THEN 'Fair'
         ELSE 'Poor'
       END`;

export const PROJECTION_SQL = {
  imageGenerated: `INSERT INTO generated_images (id, filename, prompt, negative_prompt, source_url, source_query, model_id,
       generation_params, seed, created_at, status, is_featured, tags, updated_at)
     SELECT coalesce(max(id), 0) + 1, $1::text, $2::text, $3::text, $4::text, $5::text, $6::text,
       $7::text, $8::bigint, $9::text, 'pending', false, $10::text, $11::text
     FROM generated_images`,
  tierLeave: `UPDATE quality_tiers SET
       images = images - 1,
       scored = scored - (image.final_score IS NOT NULL)::int,
       score_sum = score_sum - coalesce(image.final_score, 0.0)
     FROM (SELECT final_score FROM generated_images WHERE filename = $1::text AND status = 'curated') AS image
     WHERE tier = ${TIER}`,
  imageCurated: `UPDATE generated_images SET
       status = $1::text,
       aesthetic_score = coalesce($2::float8, aesthetic_score),
       clip_score = coalesce($3::float8, clip_score),
       technical_score = coalesce($4::float8, technical_score),
       final_score = coalesce($5::float8, final_score),
       diversity_score = coalesce($6::float8, diversity_score),
       is_featured = $7::boolean,
       updated_at = GREATEST(updated_at, $8::text)
     WHERE filename = $9::text`,
  tierEnter: `INSERT INTO quality_tiers (tier, images, scored, score_sum)
     SELECT ${TIER}, 1, (final_score IS NOT NULL)::int, coalesce(final_score, 0.0)
     FROM generated_images WHERE filename = $1::text AND status = 'curated'
     ON CONFLICT (tier) DO UPDATE SET
       images = quality_tiers.images + excluded.images,
       scored = quality_tiers.scored + excluded.scored,
       score_sum = quality_tiers.score_sum + excluded.score_sum`,
  trainingStarted: `INSERT INTO training_sessions (id, run_id, name, model_path, config, dataset_size, metrics, started_at, status, updated_at)
     SELECT coalesce(max(id), 0) + 1, $1::text, $2::text, $3::text, $4::text, $5::bigint, '{}', $6::text, 'running', $7::text
     FROM training_sessions`,
  trainingCompleted: `UPDATE training_sessions SET
       status = 'completed',
       final_loss = $1::float8,
       training_time_seconds = $2::float8,
       metrics = $3::text,
       model_path = coalesce($4::text, model_path),
       completed_at = $5::text,
       updated_at = GREATEST(updated_at, $6::text)
     WHERE run_id = $7::text`,
  trainingFailed: `UPDATE training_sessions SET
       status = 'failed',
       failure_reason = $1::text,
       training_time_seconds = $2::float8,
       completed_at = $3::text,
       updated_at = GREATEST(updated_at, $4::text)
     WHERE run_id = $5::text`,
  batchStarted: `INSERT INTO creation_sessions (id, batch_id, theme, images_created, images_kept, started_at, updated_at)
     SELECT coalesce(max(id), 0) + 1, $1::text, $2::text, 0, 0, $3::text, $4::text
     FROM creation_sessions`,
  dayStarted: `INSERT INTO creation_days (day, sessions, images_created, images_kept, avg_score_sum, avg_scores)
     SELECT left(started_at, 10), 1, 0, 0, 0.0, 0 FROM creation_sessions WHERE batch_id = $1::text
     ON CONFLICT (day) DO UPDATE SET sessions = creation_days.sessions + 1`,
  batchFinished: `UPDATE creation_sessions SET
       images_created = $1::bigint,
       images_kept = $2::bigint,
       avg_score = $3::float8,
       completed_at = $4::text,
       updated_at = GREATEST(updated_at, $5::text)
     WHERE batch_id = $6::text`,
  dayFinished: `UPDATE creation_days SET
       images_created = creation_days.images_created + batch.images_created,
       images_kept = creation_days.images_kept + batch.images_kept,
       avg_score_sum = avg_score_sum + coalesce(batch.avg_score, 0.0),
       avg_scores = avg_scores + (batch.avg_score IS NOT NULL)::int
     FROM (SELECT started_at, images_created, images_kept, avg_score FROM creation_sessions WHERE batch_id = $1::text) AS batch
     WHERE day = left(batch.started_at, 10)`,
} as const;

/** The triggers that keep the PostgreSQL log append-only and gapless: a store refuses to append to a log without one. */
export const POSTGRES_LOG_GUARDS = [
  "events_no_update",
  "events_no_delete",
  "events_no_truncate",
  "events_next_position",
];

/** The projections the PostgreSQL store keeps, by the registry's names, and the statements each runs. */
const PROJECTION_STATEMENTS = {
  generated_images: ["imageGenerated", "tierLeave", "imageCurated", "tierEnter"],
  training_sessions: ["trainingStarted", "trainingCompleted", "trainingFailed"],
  creation_sessions: ["batchStarted", "dayStarted", "batchFinished", "dayFinished"],
} as const satisfies Record<string, readonly (keyof typeof PROJECTION_SQL)[]>;
export const POSTGRES_PROJECTIONS = Object.keys(PROJECTION_STATEMENTS) as (keyof typeof PROJECTION_STATEMENTS)[];

/** What identifies the code of a PostgreSQL projection: its SQL and the schema version of every event type. */
export const postgresFingerprint = (name: keyof typeof PROJECTION_STATEMENTS): string =>
  createHash("sha256")
    .update(
      JSON.stringify({
        backend: "postgres",
        sql: PROJECTION_STATEMENTS[name].map((s) => PROJECTION_SQL[s]),
        events: Object.fromEntries(EVENT_TYPES.map((t) => [t, eventTypes[t].version])),
      }),
    )
    .digest("hex");

const missingRow = (table: string, e: StoredEvent) =>
  new StoreError(
    "PROJECTION_INVARIANT",
    `${table} has no row for ${e.streamId} while projecting ${e.type} at position ${e.position}: rebuild the projections`,
    { table, streamId: e.streamId, position: e.position },
  );

type Handler<T extends EventType> = (c: PoolClient, e: StoredEvent<T>) => Promise<void>;

const run = async (c: PoolClient, sql: keyof typeof PROJECTION_SQL, values: unknown[]): Promise<number> =>
  (await c.query(PROJECTION_SQL[sql], values)).rowCount ?? 0;

/** One handler per event type: every key required, so a new event type fails to compile until it is handled here. */
const HANDLERS: { [T in EventType]: Handler<T> } = {
  ImageGenerated: async (c, { data: d, occurredAt }) => {
    await run(c, "imageGenerated", [
      d.filename,
      d.prompt,
      d.negativePrompt,
      d.sourceUrl ?? null,
      d.sourceQuery ?? null,
      d.modelId,
      JSON.stringify(d.generationParams),
      d.seed ?? null,
      occurredAt,
      JSON.stringify(d.tags),
      occurredAt,
    ]);
  },
  ImageCurated: async (c, e) => {
    const d = e.data;
    // At stream version 2 the only event before is ImageGenerated: the row is pending and in no tier yet.
    if (e.streamVersion > 2) await run(c, "tierLeave", [d.filename]);
    const changed = await run(c, "imageCurated", [
      d.status,
      d.aestheticScore ?? null,
      d.clipScore ?? null,
      d.technicalScore ?? null,
      d.finalScore ?? null,
      d.diversityScore ?? null,
      d.isFeatured === true,
      e.occurredAt,
      d.filename,
    ]);
    if (changed !== 1) throw missingRow("generated_images", e);
    await run(c, "tierEnter", [d.filename]);
  },
  TrainingStarted: async (c, { data: d, occurredAt }) => {
    await run(c, "trainingStarted", [
      d.runId,
      d.name,
      d.modelPath,
      JSON.stringify(d.config),
      d.datasetSize ?? null,
      occurredAt,
      occurredAt,
    ]);
  },
  TrainingCompleted: async (c, e) => {
    const d = e.data;
    const changed = await run(c, "trainingCompleted", [
      d.finalLoss ?? null,
      d.trainingTimeSeconds ?? null,
      JSON.stringify(d.metrics),
      d.modelPath ?? null,
      e.occurredAt,
      e.occurredAt,
      d.runId,
    ]);
    if (changed !== 1) throw missingRow("training_sessions", e);
  },
  TrainingFailed: async (c, e) => {
    const d = e.data;
    const changed = await run(c, "trainingFailed", [
      d.reason,
      d.trainingTimeSeconds ?? null,
      e.occurredAt,
      e.occurredAt,
      d.runId,
    ]);
    if (changed !== 1) throw missingRow("training_sessions", e);
  },
  BatchStarted: async (c, { data: d, occurredAt }) => {
    await run(c, "batchStarted", [d.batchId, d.theme ?? null, occurredAt, occurredAt]);
    await run(c, "dayStarted", [d.batchId]);
  },
  BatchFinished: async (c, e) => {
    const d = e.data;
    const changed = await run(c, "batchFinished", [
      d.imagesCreated,
      d.imagesKept,
      d.avgScore ?? null,
      e.occurredAt,
      e.occurredAt,
      d.batchId,
    ]);
    if (changed !== 1) throw missingRow("creation_sessions", e);
    await run(c, "dayFinished", [d.batchId]);
  },
};

/**
 * Apply one event to every PostgreSQL projection, on the append's connection and in its transaction.
 * @example await projectOnPostgres(client, storedEvent);
 */
export const projectOnPostgres = <T extends EventType>(c: PoolClient, event: StoredEvent<T>): Promise<void> => {
  const handle: Handler<T> = HANDLERS[event.type];
  return handle(c, event);
};
