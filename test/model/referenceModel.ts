// The reference model: the store's rules and projections as a pure fold over
// events, in plain TypeScript, with no SQL. The property test checks the real
// store against it.
import { isDeepStrictEqual } from "node:util";
import type { EventInput, EventType, NewEvent } from "../../src/index.js";

type Row = Record<string, unknown>;
interface Logged {
  type: EventType;
  streamId: string;
  data: unknown;
  position: number;
  version: number;
}
export interface ModelState {
  position: number;
  byId: Map<string, Logged>;
  streams: Map<string, { version: number; type: EventType }>;
  tables: {
    generated_images: Map<string, Row>;
    training_sessions: Map<string, Row>;
    creation_sessions: Map<string, Row>;
  };
}
export type Outcome = { ok: { position: number; streamVersion: number; duplicate: boolean }[] } | { error: string };

export const emptyModel = (): ModelState => ({
  position: 0,
  byId: new Map(),
  streams: new Map(),
  tables: { generated_images: new Map(), training_sessions: new Map(), creation_sessions: new Map() },
});

const copy = (s: ModelState): ModelState => ({
  position: s.position,
  byId: new Map(s.byId),
  streams: new Map(s.streams),
  tables: {
    generated_images: new Map([...s.tables.generated_images].map(([k, r]) => [k, { ...r }])),
    training_sessions: new Map([...s.tables.training_sessions].map(([k, r]) => [k, { ...r }])),
    creation_sessions: new Map([...s.tables.creation_sessions].map(([k, r]) => [k, { ...r }])),
  },
});

const OPENING = new Set<EventType>(["ImageGenerated", "TrainingStarted", "BatchStarted"]);
const CLOSING = new Set<EventType>(["TrainingCompleted", "TrainingFailed", "BatchFinished"]);

/** The payload as the store keeps it: defaults applied, then through JSON. */
const withDefaults = (e: NewEvent): unknown => {
  const d: Record<string, unknown> = { ...e.data };
  const defaults: Partial<Record<EventType, Record<string, unknown>>> = {
    ImageGenerated: { negativePrompt: "", generationParams: {}, tags: [] },
    ImageCurated: { isFeatured: false },
    TrainingStarted: { config: {} },
    TrainingCompleted: { metrics: {} },
  };
  for (const [k, v] of Object.entries(defaults[e.type] ?? {})) if (d[k] === undefined) d[k] = v;
  return JSON.parse(JSON.stringify(d));
};

const streamOf = (e: NewEvent) =>
  "filename" in e.data
    ? `image:${e.data.filename}`
    : "runId" in e.data
      ? `training:${e.data.runId}`
      : `batch:${e.data.batchId}`;

const later = (a: unknown, b: string) => (typeof a === "string" && a > b ? a : b);
const time = (iso: string | undefined, clock: string) => new Date(iso ?? clock).toISOString();

/** The row of a stream an accepted event continues: append checked that the stream was opened. */
const rowOf = (table: Map<string, Row>, key: string): Row => {
  const row = table.get(key);
  if (!row) throw new Error(`the model has no row for ${key}, yet accepted an event that continues its stream`);
  return row;
};

/** Project one accepted event into the model's rows (the same rules as the SQL handlers). */
const project = (t: ModelState["tables"], e: NewEvent, at: string): void => {
  const d = withDefaults(e) as Record<string, unknown>;
  const nil = (k: string) => d[k] ?? null;
  const keep = (row: Row, column: string, k: string) => {
    const value = d[k];
    if (value !== undefined && value !== null) row[column] = value;
  };
  if (e.type === "ImageGenerated") {
    const data = d as EventInput["ImageGenerated"] & Record<string, unknown>;
    t.generated_images.set(data.filename, {
      id: t.generated_images.size + 1,
      filename: data.filename,
      prompt: data.prompt,
      negative_prompt: data.negativePrompt,
      source_url: nil("sourceUrl"),
      source_query: nil("sourceQuery"),
      model_id: data.modelId,
      generation_params: JSON.stringify(data.generationParams),
      seed: nil("seed"),
      aesthetic_score: null,
      clip_score: null,
      technical_score: null,
      final_score: null,
      created_at: at,
      status: "pending",
      is_featured: 0,
      tags: JSON.stringify(data.tags),
      updated_at: at,
      diversity_score: null,
    });
  } else if (e.type === "ImageCurated") {
    const row = rowOf(t.generated_images, e.data.filename);
    row.status = d.status;
    keep(row, "aesthetic_score", "aestheticScore");
    keep(row, "clip_score", "clipScore");
    keep(row, "technical_score", "technicalScore");
    keep(row, "final_score", "finalScore");
    keep(row, "diversity_score", "diversityScore");
    row.is_featured = d.isFeatured ? 1 : 0;
    row.updated_at = later(row.updated_at, at);
  } else if (e.type === "TrainingStarted") {
    t.training_sessions.set(e.data.runId, {
      id: t.training_sessions.size + 1,
      run_id: e.data.runId,
      name: d.name,
      model_path: d.modelPath,
      config: JSON.stringify(d.config),
      dataset_size: nil("datasetSize"),
      final_loss: null,
      training_time_seconds: null,
      metrics: "{}",
      started_at: at,
      completed_at: null,
      status: "running",
      failure_reason: null,
      updated_at: at,
    });
  } else if (e.type === "TrainingCompleted" || e.type === "TrainingFailed") {
    const row = rowOf(t.training_sessions, e.data.runId);
    if (e.type === "TrainingCompleted") {
      Object.assign(row, { status: "completed", final_loss: nil("finalLoss"), metrics: JSON.stringify(d.metrics) });
      keep(row, "model_path", "modelPath");
    } else Object.assign(row, { status: "failed", failure_reason: d.reason });
    Object.assign(row, {
      training_time_seconds: nil("trainingTimeSeconds"),
      completed_at: at,
      updated_at: later(row.updated_at, at),
    });
  } else if (e.type === "BatchStarted") {
    t.creation_sessions.set(e.data.batchId, {
      id: t.creation_sessions.size + 1,
      batch_id: e.data.batchId,
      theme: nil("theme"),
      images_created: 0,
      images_kept: 0,
      avg_score: null,
      started_at: at,
      completed_at: null,
      updated_at: at,
    });
  } else {
    const row = rowOf(t.creation_sessions, e.data.batchId);
    Object.assign(row, {
      images_created: d.imagesCreated,
      images_kept: d.imagesKept,
      avg_score: nil("avgScore"),
      completed_at: at,
      updated_at: later(row.updated_at, at),
    });
  }
};

/** Append a batch to the model: all events accepted (and the new state), or the error code of the first refused one. */
export const appendToModel = (
  state: ModelState,
  batch: readonly NewEvent[],
  clock: string,
): { state: ModelState; outcome: Outcome } => {
  const next = copy(state);
  const ok: { position: number; streamVersion: number; duplicate: boolean }[] = [];
  for (const e of batch) {
    const streamId = streamOf(e);
    const data = withDefaults(e);
    const prior = e.id === undefined ? undefined : next.byId.get(e.id);
    if (prior) {
      if (prior.type !== e.type || prior.streamId !== streamId || !isDeepStrictEqual(prior.data, data))
        return { state, outcome: { error: "IDEMPOTENCY_CONFLICT" } };
      ok.push({ position: prior.position, streamVersion: prior.version, duplicate: true });
      continue;
    }
    const head = next.streams.get(streamId);
    const version = head?.version ?? 0;
    if (e.expectedVersion !== undefined && e.expectedVersion !== version)
      return { state, outcome: { error: "VERSION_CONFLICT" } };
    if (OPENING.has(e.type) && head) return { state, outcome: { error: "STREAM_EXISTS" } };
    if (!OPENING.has(e.type) && !head) return { state, outcome: { error: "STREAM_NOT_FOUND" } };
    if (head && CLOSING.has(head.type)) return { state, outcome: { error: "STREAM_CLOSED" } };
    next.position += 1;
    next.streams.set(streamId, { version: version + 1, type: e.type });
    if (e.id !== undefined)
      next.byId.set(e.id, { type: e.type, streamId, data, position: next.position, version: version + 1 });
    project(next.tables, e, time(e.occurredAt, clock));
    ok.push({ position: next.position, streamVersion: version + 1, duplicate: false });
  }
  return { state: next, outcome: { ok } };
};

/** The model's rows of a table, in id order, as `SELECT *` returns them. */
export const modelRows = (state: ModelState, table: keyof ModelState["tables"]): Row[] =>
  [...state.tables[table].values()].sort((a, b) => Number(a.id) - Number(b.id));
