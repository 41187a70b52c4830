import type { Db } from "../db/connection.js";
import type { StoredEvent } from "./envelope.js";
import { EVENT_COLUMNS, parseEventRow, readInPages } from "./readEvents.js";

/**
 * Which events to read from the log; every filter is optional and they combine with AND.
 * @example queryEvents(store.db, { streamId: "image:a.png", after: 10 })
 */
export interface EventFilter {
  streamId?: string;
  /** One or more event types. */
  types?: readonly string[];
  /** Positions strictly after this one. */
  after?: number;
  /** Positions up to this one, inclusive. */
  to?: number;
  /** occurred_at at or after this ISO time (stored format: ISO-8601 UTC with milliseconds). */
  since?: string;
  /** occurred_at strictly before this ISO time. */
  until?: string;
  /** At most this many events. */
  limit?: number;
}

/**
 * Read the log filtered by stream, type, position range and time range, in
 * position order, page by page (memory stays flat; each filter uses its index:
 * stream_id, idx_events_type, idx_events_occurred_at).
 * @example for (const e of queryEvents(store.db, { types: ["ImageCurated"], since: "2026-01-08T00:00:00.000Z" })) console.log(e.position);
 */
export function* queryEvents(db: Db, filter: EventFilter = {}, pageSize = 1000): Generator<StoredEvent> {
  const where = ["position > @after"];
  if (filter.streamId !== undefined) where.push("stream_id = @streamId");
  if (filter.types && filter.types.length > 0)
    where.push(`type IN (${filter.types.map((_, i) => `@type${i}`).join(", ")})`);
  if (filter.to !== undefined) where.push("position <= @to");
  if (filter.since !== undefined) where.push("occurred_at >= @since");
  if (filter.until !== undefined) where.push("occurred_at < @until");
  const page = db.prepare(
    `SELECT ${EVENT_COLUMNS} FROM events WHERE ${where.join(" AND ")} ORDER BY position LIMIT @limit`,
  );
  const params: Record<string, string | number> = {};
  if (filter.streamId !== undefined) params.streamId = filter.streamId;
  for (const [i, t] of (filter.types ?? []).entries()) params[`type${i}`] = t;
  if (filter.to !== undefined) params.to = filter.to;
  if (filter.since !== undefined) params.since = filter.since;
  if (filter.until !== undefined) params.until = filter.until;
  yield* readInPages((after, limit) => page.all({ ...params, after, limit }).map(parseEventRow), {
    after: filter.after ?? 0,
    pageSize,
    limit: filter.limit,
  });
}
