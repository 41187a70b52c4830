import { z } from "zod";
import type { Db } from "../../db/connection.js";
import { prepared } from "../statements.js";

// An object the projection wrote as JSON: its values pass through to the page as they are (z.json() walked
// every value, most of a page's time).
const JsonRecord = z.record(z.string(), z.unknown());
const jsonObject = z.string().transform((s) => JsonRecord.parse(JSON.parse(s)));

/** A training run as the training page shows it. */
export const TrainingRun = z.object({
  id: z.number().int(),
  runId: z.string(),
  name: z.string(),
  modelPath: z.string(),
  status: z.enum(["running", "completed", "failed"]),
  datasetSize: z.number().int().nullable(),
  finalLoss: z.number().nullable(),
  trainingSeconds: z.number().nullable(),
  startedAt: z.string(),
  completedAt: z.string().nullable(),
  failureReason: z.string().nullable(),
  config: jsonObject.nullable(),
  metrics: jsonObject.nullable(),
});
export type TrainingRun = z.output<typeof TrainingRun>;
/** A page of rows parsed in one call, by a zod-compiled schema (as the store's queries do). */
const TrainingRuns = z.compile(z.array(TrainingRun));

/** Where a page of runs ends: the start time and id of its last run. */
export const TrainingCursor = z.strictObject({ t: z.string(), id: z.number().int() });
export type TrainingCursor = z.output<typeof TrainingCursor>;

/**
 * A page of training runs, newest first (idx_training_started), optionally of one status.
 * @example readTraining(store.db, { status: "failed", limit: 20 })
 */
export const readTraining = (
  db: Db,
  filter: { status?: TrainingRun["status"]; limit: number; cursor?: TrainingCursor },
): { runs: TrainingRun[]; next: TrainingCursor | undefined } => {
  const where: string[] = [];
  const params: Record<string, unknown> = { limit: filter.limit + 1 };
  if (filter.status !== undefined) {
    where.push("status = @status");
    params.status = filter.status;
  }
  if (filter.cursor !== undefined) {
    where.push("(started_at < @cursorStarted OR (started_at = @cursorStarted AND id < @cursorId))");
    params.cursorStarted = filter.cursor.t;
    params.cursorId = filter.cursor.id;
  }
  const rows = TrainingRuns.parse(
    prepared(
      db,
      `SELECT id, run_id AS runId, name, model_path AS modelPath, status, dataset_size AS datasetSize,
       final_loss AS finalLoss, training_time_seconds AS trainingSeconds, started_at AS startedAt,
       completed_at AS completedAt, failure_reason AS failureReason, config, metrics
     FROM training_sessions ${where.length > 0 ? `WHERE ${where.join(" AND ")}` : ""}
     ORDER BY started_at DESC, id DESC LIMIT @limit`,
    ).all(params),
  );
  const runs = rows.slice(0, filter.limit);
  const last = runs.at(-1);
  return { runs, next: rows.length > filter.limit && last ? { t: last.startedAt, id: last.id } : undefined };
};
