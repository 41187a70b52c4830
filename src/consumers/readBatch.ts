import type { Db } from "../db/connection.js";
import { StoreError } from "../db/errors.js";
import type { StoredEvent } from "../events/envelope.js";
import { EVENT_COLUMNS, parseEventRow, prepareHeadPosition } from "../events/readEvents.js";
import type { EventType } from "../events/schemas.js";

/**
 * Which events a consumer is given: some types, the streams under a prefix (`image:`), or all.
 * @example { types: ["ImageCurated"], streamPrefix: "image:" }
 */
export interface ConsumerFilter<T extends EventType = EventType> {
  types?: readonly T[];
  streamPrefix?: string;
}

/**
 * The stored events of the types `T`: what a consumer filtered to those types is handed.
 * @example const handle = (events: EventOf<"ImageCurated">[]) => events.map((e) => e.data.finalScore);
 */
export type EventOf<T extends EventType> = Extract<StoredEvent, { type: T }>;

/** What one read gives: the events, the position the consumer has seen through (filtered-out events included), the head. */
export interface Batch<T extends EventType = EventType> {
  events: EventOf<T>[];
  /** Every event up to here was either in `events` or filtered out: where the checkpoint may move once they are handled. */
  through: number;
  /** The log's head in the snapshot the batch was read from. */
  head: number;
}

/** Rows a filtered read looks at past the checkpoint at most: a sparse filter on a long log still reads in bounded steps. */
const SCAN_WINDOW = 10_000;

/**
 * Read the next batch after a checkpoint, in position order, from one snapshot: the head is read
 * first and the events up to it, so an event committed meanwhile is left for the next read, never
 * skipped (positions are gapless and in commit order: everything up to the head is visible).
 * @example const read = createBatchReader(store.db, { types: ["ImageCurated"] }); read(0, 100)
 */
export const createBatchReader = <T extends EventType>(db: Db, filter: ConsumerFilter<T>) => {
  const where = ["position > @after", "position <= @until"];
  const types = filter.types ?? [];
  if (types.length > 0) where.push(`type IN (${types.map((_, i) => `@type${i}`).join(", ")})`);
  if (filter.streamPrefix !== undefined) where.push("substr(stream_id, 1, length(@prefix)) = @prefix");
  const page = db
    .prepare(`SELECT ${EVENT_COLUMNS} FROM events WHERE ${where.join(" AND ")} ORDER BY position LIMIT @limit`)
    .raw();
  const params: Record<string, string> = {};
  for (const [i, t] of types.entries()) params[`type${i}`] = t;
  if (filter.streamPrefix !== undefined) params.prefix = filter.streamPrefix;
  const head = prepareHeadPosition(db);
  const wanted = new Set<string>(types);
  const isWanted = (e: StoredEvent): e is EventOf<T> => wanted.size === 0 || wanted.has(e.type);

  const read = db.transaction((after: number, limit: number): Batch<T> => {
    const at = head();
    if (after > at)
      throw new StoreError(
        "CORRUPT_DATABASE",
        `a consumer's checkpoint (${after}) is past the log's head (${at}): the log lost events, or the checkpoint was written by foreign code`,
        { checkpoint: after, head: at },
      );
    const until = Math.min(at, after + Math.max(SCAN_WINDOW, limit));
    const events = page
      .all({ ...params, after, until, limit })
      .map(parseEventRow)
      .filter(isWanted);
    const last = events.at(-1);
    return { events, through: events.length === limit && last ? last.position : until, head: at };
  });
  // Deferred: a read transaction, so the head and the events come from the same snapshot.
  return (after: number, limit: number): Batch<T> => read.deferred(after, limit);
};
