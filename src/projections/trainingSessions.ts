import type { Db } from "../db/connection.js";
import type { StoredEvent } from "../events/envelope.js";
import { missingRow } from "./generatedImages.js";
import type { Handlers } from "./handlers.js";

/** Rows of training_sessions, one per training run (keyed by run_id). */
export const trainingSessionsProjection = (db: Db): Handlers => {
  const statements = prepareStatements(db);
  return {
    ImageGenerated: undefined,
    ImageCurated: undefined,
    TrainingStarted: (event) => projectTrainingStarted(statements, event),
    TrainingCompleted: (event) => projectTrainingCompleted(statements, event),
    TrainingFailed: (event) => projectTrainingFailed(statements, event),
    BatchStarted: undefined,
    BatchFinished: undefined,
  };
};

/** The statements of training_sessions, prepared once per connection. */
const prepareStatements = (db: Db) => ({
  start: db.prepare(
    `INSERT INTO training_sessions (run_id, name, model_path, config, dataset_size, metrics, started_at, status, updated_at)
     VALUES (?, ?, ?, ?, ?, '{}', ?, 'running', ?)`,
  ),
  complete: db.prepare(
    `UPDATE training_sessions SET
       status = 'completed',
       final_loss = ?,
       training_time_seconds = ?,
       metrics = ?,
       model_path = coalesce(?, model_path),
       completed_at = ?,
       updated_at = max(updated_at, ?)
     WHERE run_id = ?`,
  ),
  fail: db.prepare(
    `UPDATE training_sessions SET
       status = 'failed',
       failure_reason = ?,
       training_time_seconds = ?,
       completed_at = ?,
       updated_at = max(updated_at, ?)
     WHERE run_id = ?`,
  ),
});
type Statements = ReturnType<typeof prepareStatements>;

/** TrainingStarted: the run's row, running. */
const projectTrainingStarted = (s: Statements, { data: d, occurredAt }: StoredEvent<"TrainingStarted">): void => {
  s.start.run(d.runId, d.name, d.modelPath, JSON.stringify(d.config), d.datasetSize ?? null, occurredAt, occurredAt);
};

/** TrainingCompleted: the run completed, with its loss, time, metrics and (when it moved) model path. */
const projectTrainingCompleted = (s: Statements, e: StoredEvent<"TrainingCompleted">): void => {
  const d = e.data;
  const { changes } = s.complete.run(
    d.finalLoss ?? null,
    d.trainingTimeSeconds ?? null,
    JSON.stringify(d.metrics),
    d.modelPath ?? null,
    e.occurredAt,
    e.occurredAt,
    d.runId,
  );
  if (changes !== 1) throw missingRow("training_sessions", e);
};

/** TrainingFailed: the run failed, with the reason. */
const projectTrainingFailed = (s: Statements, e: StoredEvent<"TrainingFailed">): void => {
  const d = e.data;
  const { changes } = s.fail.run(d.reason, d.trainingTimeSeconds ?? null, e.occurredAt, e.occurredAt, d.runId);
  if (changes !== 1) throw missingRow("training_sessions", e);
};
