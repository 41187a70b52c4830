import type { Db } from "../db/connection.js";
import { StoreError } from "../db/errors.js";
import type { StoredEvent } from "../events/envelope.js";
import type { Handlers } from "./handlers.js";

/**
 * Rows of generated_images, one per image stream (keyed by filename).
 * Statements bind positionally: named parameters cost a property lookup per
 * value on every run.
 */
export const generatedImagesProjection = (db: Db): Handlers => {
  const statements = prepareStatements(db);
  return {
    ImageGenerated: (event) => projectImageGenerated(statements, event),
    ImageCurated: (event) => projectImageCurated(statements, event),
    TrainingStarted: undefined,
    TrainingCompleted: undefined,
    TrainingFailed: undefined,
    BatchStarted: undefined,
    BatchFinished: undefined,
  };
};

/** The statements of generated_images, prepared once per connection. */
const prepareStatements = (db: Db) => ({
  insert: db.prepare(
    `INSERT INTO generated_images (filename, prompt, negative_prompt, source_url, source_query, model_id,
       generation_params, seed, created_at, status, is_featured, tags, updated_at)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'pending', 0, ?, ?)`,
  ),
  // A curation may score only some dimensions: scores it leaves out keep their value.
  curate: db.prepare(
    `UPDATE generated_images SET
       status = ?,
       aesthetic_score = coalesce(?, aesthetic_score),
       clip_score = coalesce(?, clip_score),
       technical_score = coalesce(?, technical_score),
       final_score = coalesce(?, final_score),
       diversity_score = coalesce(?, diversity_score),
       is_featured = ?,
       updated_at = max(updated_at, ?)
     WHERE filename = ?`,
  ),
});
type Statements = ReturnType<typeof prepareStatements>;

/** ImageGenerated: the image's row, pending curation. */
const projectImageGenerated = (s: Statements, { data: d, occurredAt }: StoredEvent<"ImageGenerated">): void => {
  s.insert.run(
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
  );
};

/** ImageCurated: the row's status, scores and featured flag. */
const projectImageCurated = (s: Statements, e: StoredEvent<"ImageCurated">): void => {
  const d = e.data;
  const { changes } = s.curate.run(
    d.status,
    d.aestheticScore ?? null,
    d.clipScore ?? null,
    d.technicalScore ?? null,
    d.finalScore ?? null,
    d.diversityScore ?? null,
    d.isFeatured ? 1 : 0,
    e.occurredAt,
    d.filename,
  );
  if (changes !== 1) throw missingRow("generated_images", e);
};

/** The log says the row exists but the table has none: the projection is out of step with the log. */
export const missingRow = (table: string, e: StoredEvent) =>
  new StoreError(
    "PROJECTION_INVARIANT",
    `${table} has no row for ${e.streamId} while projecting ${e.type} at position ${e.position}: rebuild the projections`,
    {
      table,
      streamId: e.streamId,
      position: e.position,
    },
  );
