import type { Db } from "../db/connection.js";
import { missingRow } from "./generatedImages.js";
import type { Handlers } from "./handlers.js";

/** Rows of creation_sessions, one per creation batch (keyed by batch_id). */
export const creationSessionsProjection = (db: Db): Handlers => {
  const start = db.prepare(
    `INSERT INTO creation_sessions (batch_id, theme, images_created, images_kept, started_at, updated_at)
     VALUES (?, ?, 0, 0, ?, ?)`,
  );
  const finish = db.prepare(
    `UPDATE creation_sessions SET
       images_created = ?,
       images_kept = ?,
       avg_score = ?,
       completed_at = ?,
       updated_at = max(updated_at, ?)
     WHERE batch_id = ?`,
  );

  return {
    ImageGenerated: undefined,
    ImageCurated: undefined,
    TrainingStarted: undefined,
    TrainingCompleted: undefined,
    TrainingFailed: undefined,
    BatchStarted: ({ data: d, occurredAt }) => {
      start.run(d.batchId, d.theme ?? null, occurredAt, occurredAt);
    },
    BatchFinished: (e) => {
      const d = e.data;
      const { changes } = finish.run(
        d.imagesCreated,
        d.imagesKept,
        d.avgScore ?? null,
        e.occurredAt,
        e.occurredAt,
        d.batchId,
      );
      if (changes !== 1) throw missingRow("creation_sessions", e);
    },
  };
};
