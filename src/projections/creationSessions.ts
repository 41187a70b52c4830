import { match, P } from "ts-pattern";
import type { Db } from "../db/connection.js";
import type { StoredEvent } from "../events/envelope.js";
import { missingRow } from "./generatedImages.js";

/** Rows of creation_sessions, one per creation batch (keyed by batch_id). */
export const creationSessionsProjection = (db: Db) => {
  const start = db.prepare(
    `INSERT INTO creation_sessions (batch_id, theme, images_created, images_kept, started_at, updated_at)
     VALUES (@batchId, @theme, 0, 0, @occurredAt, @occurredAt)`,
  );
  const finish = db.prepare(
    `UPDATE creation_sessions SET
       images_created = @imagesCreated,
       images_kept = @imagesKept,
       avg_score = @avgScore,
       completed_at = @occurredAt,
       updated_at = max(updated_at, @occurredAt)
     WHERE batch_id = @batchId`,
  );

  const projectBatchStarted = (e: StoredEvent<"BatchStarted">) => {
    start.run({ batchId: e.data.batchId, theme: e.data.theme ?? null, occurredAt: e.occurredAt });
  };

  const projectBatchFinished = (e: StoredEvent<"BatchFinished">) => {
    const { changes } = finish.run({
      batchId: e.data.batchId,
      imagesCreated: e.data.imagesCreated,
      imagesKept: e.data.imagesKept,
      avgScore: e.data.avgScore ?? null,
      occurredAt: e.occurredAt,
    });
    if (changes !== 1) throw missingRow("creation_sessions", e);
  };

  return (event: StoredEvent): void =>
    match(event)
      .with({ type: "BatchStarted" }, projectBatchStarted)
      .with({ type: "BatchFinished" }, projectBatchFinished)
      .with({ type: P.union("ImageGenerated", "ImageCurated", "TrainingStarted", "TrainingCompleted", "TrainingFailed") }, () => {})
      .exhaustive();
};
