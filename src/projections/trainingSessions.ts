import { match, P } from "ts-pattern";
import type { Db } from "../db/connection.js";
import type { StoredEvent } from "../events/envelope.js";
import { missingRow } from "./generatedImages.js";

/** Rows of training_sessions, one per training run (keyed by run_id). */
export const trainingSessionsProjection = (db: Db) => {
  const start = db.prepare(
    `INSERT INTO training_sessions (run_id, name, model_path, config, dataset_size, metrics, started_at, status, updated_at)
     VALUES (@runId, @name, @modelPath, @config, @datasetSize, '{}', @occurredAt, 'running', @occurredAt)`,
  );
  const complete = db.prepare(
    `UPDATE training_sessions SET
       status = 'completed',
       final_loss = @finalLoss,
       training_time_seconds = @trainingTimeSeconds,
       metrics = @metrics,
       model_path = coalesce(@modelPath, model_path),
       completed_at = @occurredAt,
       updated_at = max(updated_at, @occurredAt)
     WHERE run_id = @runId`,
  );
  const fail = db.prepare(
    `UPDATE training_sessions SET
       status = 'failed',
       failure_reason = @reason,
       training_time_seconds = @trainingTimeSeconds,
       completed_at = @occurredAt,
       updated_at = max(updated_at, @occurredAt)
     WHERE run_id = @runId`,
  );

  const projectTrainingStarted = (e: StoredEvent<"TrainingStarted">) => {
    start.run({
        runId: e.data.runId,
        name: e.data.name,
        modelPath: e.data.modelPath,
        config: JSON.stringify(e.data.config),
        datasetSize: e.data.datasetSize ?? null,
        occurredAt: e.occurredAt,
      });
  };

  const projectTrainingCompleted = (e: StoredEvent<"TrainingCompleted">) => {
    const { changes } = complete.run({
      runId: e.data.runId,
      finalLoss: e.data.finalLoss ?? null,
      trainingTimeSeconds: e.data.trainingTimeSeconds ?? null,
      metrics: JSON.stringify(e.data.metrics),
      modelPath: e.data.modelPath ?? null,
      occurredAt: e.occurredAt,
    });
    if (changes !== 1) throw missingRow("training_sessions", e);
  };

  const projectTrainingFailed = (e: StoredEvent<"TrainingFailed">) => {
    const { changes } = fail.run({
      runId: e.data.runId,
      reason: e.data.reason,
      trainingTimeSeconds: e.data.trainingTimeSeconds ?? null,
      occurredAt: e.occurredAt,
    });
    if (changes !== 1) throw missingRow("training_sessions", e);
  };

  return (event: StoredEvent): void =>
    match(event)
      .with({ type: "TrainingStarted" }, projectTrainingStarted)
      .with({ type: "TrainingCompleted" }, projectTrainingCompleted)
      .with({ type: "TrainingFailed" }, projectTrainingFailed)
      .with({ type: P.union("ImageGenerated", "ImageCurated", "BatchStarted", "BatchFinished") }, () => {})
      .exhaustive();
};
