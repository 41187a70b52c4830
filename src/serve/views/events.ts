import { z } from "zod";
import type { Db } from "../../db/connection.js";
import type { StoredEvent } from "../../events/envelope.js";
import { EVENT_COLUMNS, parseEventRow } from "../../events/readEvents.js";
import { prepared } from "../statements.js";

/** The timeline's filters; every one optional, combined with AND. */
export interface TimelineFilter {
  types?: readonly string[];
  stream?: string;
  /** occurred_at at or after this time. */
  since?: string;
  /** occurred_at strictly before this time. */
  until?: string;
  /** Positions strictly before this one: the cursor of the next (older) page. */
  before?: number;
  /** Positions up to this one, inclusive: the log as it stood then (as of a position). */
  to?: number;
  /** What had happened by this time (as of a time, with openStoreAsOf's rule for streams). */
  occurredBy?: string;
  limit: number;
  /** Most positions one request reads when filtering by type or time (default SCAN_WINDOW). */
  scanWindow?: number;
}

/**
 * Positions one request reads at most when it filters by type or time, which the log keeps no index
 * on: a rare type would otherwise read the whole log in one request (seconds at two million events).
 * A page may then hold fewer events than asked, with a `next` to continue from.
 */
export const SCAN_WINDOW = 100_000;

const Head = z.object({ head: z.number().int().nullable() });

/**
 * A page of the log, newest first, and the position to pass as `before` for the next (older) page.
 * Walks the primary key backwards from the head: a page of an unfiltered log reads `limit` rows, a
 * stream's page its index; a filter on type or time reads at most `scanWindow` positions, and its
 * page may come back short, with the `next` position to continue from (undefined: the log's start).
 * @example readTimeline(store.db, { types: ["ImageCurated"], limit: 50 })
 */
export const readTimeline = (db: Db, filter: TimelineFilter): { events: StoredEvent[]; next: number | undefined } => {
  const where: string[] = [];
  const params: Record<string, unknown> = { limit: filter.limit + 1 };
  if (filter.before !== undefined) {
    where.push("position < @before");
    params.before = filter.before;
  }
  if (filter.to !== undefined) {
    where.push("position <= @to");
    params.to = filter.to;
  }
  if (filter.stream !== undefined) {
    where.push("stream_id = @stream");
    params.stream = filter.stream;
  }
  if (filter.types !== undefined && filter.types.length > 0) {
    where.push(`type IN (${filter.types.map((_, i) => `@type${i}`).join(", ")})`);
    for (const [i, t] of filter.types.entries()) params[`type${i}`] = t;
  }
  if (filter.since !== undefined) {
    where.push("occurred_at >= @since");
    params.since = filter.since;
  }
  if (filter.until !== undefined) {
    where.push("occurred_at < @until");
    params.until = filter.until;
  }
  // As of a time, openStoreAsOf's rule: what occurred by then, each stream up to its first later event.
  if (filter.occurredBy !== undefined) {
    where.push(
      "occurred_at <= @occurredBy AND NOT EXISTS (SELECT 1 FROM events p WHERE p.stream_id = events.stream_id " +
        "AND p.stream_version < events.stream_version AND p.occurred_at > @occurredBy)",
    );
    params.occurredBy = filter.occurredBy;
  }
  const scanned =
    filter.stream === undefined &&
    ((filter.types?.length ?? 0) > 0 ||
      filter.since !== undefined ||
      filter.until !== undefined ||
      filter.occurredBy !== undefined);
  let floor = 1;
  if (scanned) {
    const head = Head.parse(prepared(db, "SELECT max(position) AS head FROM events").get()).head ?? 0;
    const top = Math.min(head, (filter.before ?? Number.POSITIVE_INFINITY) - 1, filter.to ?? Number.POSITIVE_INFINITY);
    floor = Math.max(1, top - (filter.scanWindow ?? SCAN_WINDOW) + 1);
    where.push("position >= @floor");
    params.floor = floor;
  }
  const rows = prepared(
    db,
    `SELECT ${EVENT_COLUMNS} FROM events ${where.length > 0 ? `WHERE ${where.join(" AND ")}` : ""}
     ORDER BY position DESC LIMIT @limit`,
  )
    .raw(true)
    .all(params)
    .map(parseEventRow);
  const events = rows.slice(0, filter.limit);
  const last = events.at(-1);
  if (rows.length > filter.limit && last) return { events, next: last.position };
  return { events, next: floor > 1 ? floor : undefined };
};

/**
 * A page of one stream's history in version order (its unique index), as of a position or a time
 * when given, and the version to pass as `after` for the next page.
 * @example readStreamPage(store.db, "image:a.png", { limit: 100 })
 */
export const readStreamPage = (
  db: Db,
  streamId: string,
  options: { after?: number; to?: number; occurredBy?: string; limit: number },
): { events: StoredEvent[]; next: number | undefined } => {
  const { after = 0, to, occurredBy, limit } = options;
  const params: Record<string, unknown> = { streamId, after, limit: limit + 1 };
  const where = ["stream_id = @streamId", "stream_version > @after"];
  if (to !== undefined) {
    where.push("position <= @to");
    params.to = to;
  }
  // A stream as of a time stops before its first event that occurred later (openStoreAsOf's rule).
  if (occurredBy !== undefined) {
    where.push(
      "NOT EXISTS (SELECT 1 FROM events p WHERE p.stream_id = @streamId AND p.stream_version <= events.stream_version AND p.occurred_at > @occurredBy)",
    );
    params.occurredBy = occurredBy;
  }
  const rows = prepared(
    db,
    `SELECT ${EVENT_COLUMNS} FROM events WHERE ${where.join(" AND ")} ORDER BY stream_version LIMIT @limit`,
  )
    .raw(true)
    .all(params)
    .map(parseEventRow);
  const events = rows.slice(0, limit);
  const last = events.at(-1);
  return { events, next: rows.length > limit && last ? last.streamVersion : undefined };
};
