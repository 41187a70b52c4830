import type { Db } from "../db/connection.js";
import type { StoredEvent } from "../events/envelope.js";
import type { Handlers } from "./handlers.js";

/**
 * creation_days: per UTC day, what the document's Daily Creation Statistics sums.
 * A batch counts on the day it started; its figures are added when it finishes
 * (a batch finishes once: BatchFinished closes its stream). Read from the
 * creation_sessions row the wrapped handler has just written, so both agree.
 * @example const handlers = withCreationDays(db, creationSessionsProjection(db));
 */
export const withCreationDays = (db: Db, sessions: Handlers): Handlers => {
  const statements = prepareStatements(db);
  const { BatchStarted: started, BatchFinished: finished } = sessions;
  return {
    ...sessions,
    BatchStarted: (event) => projectBatchStartedIntoDays(statements, started, event),
    BatchFinished: (event) => projectBatchFinishedIntoDays(statements, finished, event),
  };
};

/** The statements of creation_days, prepared once per connection. */
const prepareStatements = (db: Db) => ({
  start: db.prepare(
    `INSERT INTO creation_days (day, sessions, images_created, images_kept, avg_score_sum, avg_scores)
     SELECT DATE(started_at), 1, 0, 0, 0.0, 0 FROM creation_sessions WHERE batch_id = ?
     ON CONFLICT (day) DO UPDATE SET sessions = sessions + 1`,
  ),
  finish: db.prepare(
    `UPDATE creation_days SET
       images_created = creation_days.images_created + batch.images_created,
       images_kept = creation_days.images_kept + batch.images_kept,
       avg_score_sum = avg_score_sum + coalesce(batch.avg_score, 0.0),
       avg_scores = avg_scores + (batch.avg_score IS NOT NULL)
     FROM (SELECT started_at, images_created, images_kept, avg_score FROM creation_sessions WHERE batch_id = ?) AS batch
     WHERE day = DATE(batch.started_at)`,
  ),
});
type Statements = ReturnType<typeof prepareStatements>;

/** BatchStarted, after the creation_sessions handler `started`: the batch's day counts one more session, empty yet. */
const projectBatchStartedIntoDays = (
  s: Statements,
  started: Handlers["BatchStarted"],
  event: StoredEvent<"BatchStarted">,
): void => {
  started?.(event);
  s.start.run(event.data.batchId);
};

/** BatchFinished, after the creation_sessions handler `finished`: the batch's figures are added to its day, once. */
const projectBatchFinishedIntoDays = (
  s: Statements,
  finished: Handlers["BatchFinished"],
  event: StoredEvent<"BatchFinished">,
): void => {
  finished?.(event);
  s.finish.run(event.data.batchId);
};
