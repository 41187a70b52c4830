import type { Db } from "../db/connection.js";
import type { StoredEvent } from "../events/envelope.js";
import { missingRow } from "./generatedImages.js";
import type { Handlers } from "./handlers.js";

/** Rows of creation_sessions, one per creation batch (keyed by batch_id). */
export const creationSessionsProjection = (db: Db): Handlers => {
  const statements = prepareStatements(db);
  return {
    ImageGenerated: undefined,
    ImageCurated: undefined,
    TrainingStarted: undefined,
    TrainingCompleted: undefined,
    TrainingFailed: undefined,
    BatchStarted: (event) => projectBatchStarted(statements, event),
    BatchFinished: (event) => projectBatchFinished(statements, event),
  };
};

/** The statements of creation_sessions, prepared once per connection. */
const prepareStatements = (db: Db) => ({
  start: db.prepare(
    `INSERT INTO creation_sessions (batch_id, theme, images_created, images_kept, started_at, updated_at)
     VALUES (?, ?, 0, 0, ?, ?)`,
  ),
  finish: db.prepare(
    `UPDATE creation_sessions SET
       images_created = ?,
       images_kept = ?,
       avg_score = ?,
       completed_at = ?,
       updated_at = max(updated_at, ?)
     WHERE batch_id = ?`,
  ),
});
type Statements = ReturnType<typeof prepareStatements>;

/** BatchStarted: the batch's row, with nothing created yet. */
const projectBatchStarted = (s: Statements, { data: d, occurredAt }: StoredEvent<"BatchStarted">): void => {
  s.start.run(d.batchId, d.theme ?? null, occurredAt, occurredAt);
};

/** BatchFinished: the batch's figures and completion time. */
const projectBatchFinished = (s: Statements, e: StoredEvent<"BatchFinished">): void => {
  const d = e.data;
  const { changes } = s.finish.run(
    d.imagesCreated,
    d.imagesKept,
    d.avgScore ?? null,
    e.occurredAt,
    e.occurredAt,
    d.batchId,
  );
  if (changes !== 1) throw missingRow("creation_sessions", e);
};
