import type { Db } from "../db/connection.js";
import { missingRow } from "./generatedImages.js";
import type { Handlers } from "./handlers.js";

/** Rows of training_sessions, one per training run (keyed by run_id). */
export const trainingSessionsProjection = (db: Db): Handlers => {
  const start = db.prepare(
    `INSERT INTO training_sessions (run_id, name, model_path, config, dataset_size, metrics, started_at, status, updated_at)
     VALUES (?, ?, ?, ?, ?, '{}', ?, 'running', ?)`,
  );
  const complete = db.prepare(
    `UPDATE training_sessions SET
       status = 'completed',
       final_loss = ?,
       training_time_seconds = ?,
       metrics = ?,
       model_path = coalesce(?, model_path),
       completed_at = ?,
       updated_at = max(updated_at, ?)
     WHERE run_id = ?`,
  );
  const fail = db.prepare(
    `UPDATE training_sessions SET
       status = 'failed',
       failure_reason = ?,
       training_time_seconds = ?,
       completed_at = ?,
       updated_at = max(updated_at, ?)
     WHERE run_id = ?`,
  );

  return {
    ImageGenerated: undefined,
    ImageCurated: undefined,
    TrainingStarted: ({ data: d, occurredAt }) => {
      start.run(d.runId, d.name, d.modelPath, JSON.stringify(d.config), d.datasetSize ?? null, occurredAt, occurredAt);
    },
    TrainingCompleted: (e) => {
      const d = e.data;
      const { changes } = complete.run(
        d.finalLoss ?? null,
        d.trainingTimeSeconds ?? null,
        JSON.stringify(d.metrics),
        d.modelPath ?? null,
        e.occurredAt,
        e.occurredAt,
        d.runId,
      );
      if (changes !== 1) throw missingRow("training_sessions", e);
    },
    TrainingFailed: (e) => {
      const d = e.data;
      const { changes } = fail.run(d.reason, d.trainingTimeSeconds ?? null, e.occurredAt, e.occurredAt, d.runId);
      if (changes !== 1) throw missingRow("training_sessions", e);
    },
    BatchStarted: undefined,
    BatchFinished: undefined,
  };
};
