import { z } from "zod";
import type { Db } from "../db/connection.js";
import { StoreError } from "../errors.js";
import type { StoredEvent } from "./envelope.js";
import { eventTypes, isEventType, Metadata } from "./schemas.js";
import { upcast } from "./upcast.js";

export const EVENT_COLUMNS = `position, event_id AS eventId, stream_id AS streamId, stream_version AS streamVersion, type,
  schema_version AS schemaVersion, data, metadata, occurred_at AS occurredAt, recorded_at AS recordedAt`;

const EventRow = z.object({
  position: z.number().int(),
  eventId: z.string(),
  streamId: z.string(),
  streamVersion: z.number().int(),
  type: z.string(),
  schemaVersion: z.number().int(),
  data: z.string(),
  metadata: z.string(),
  occurredAt: z.string(),
  recordedAt: z.string(),
});

/**
 * Parse one row of the log into a typed event, upcasting its payload to the newest schema.
 * A row that does not parse means the log was written by foreign code: CORRUPT_LOG.
 */
export const parseEventRow = (raw: unknown): StoredEvent => {
  const row = EventRow.parse(raw);
  const fail = (why: string): never => {
    throw new StoreError("CORRUPT_LOG", `event at position ${row.position} (${row.type} on ${row.streamId}): ${why}`, { position: row.position });
  };
  if (!isEventType(row.type)) return fail(`unknown event type "${row.type}"`);
  if (row.schemaVersion > eventTypes[row.type].version)
    return fail(`schema version ${row.schemaVersion} is newer than this code knows (${eventTypes[row.type].version})`);
  const payload = eventTypes[row.type].schema.safeParse(upcast(row.type, row.schemaVersion, JSON.parse(row.data)));
  if (!payload.success) return fail(payload.error.issues.map((i) => `data.${i.path.join(".")}: ${i.message}`).join("; "));
  const event = { ...row, type: row.type, data: payload.data, metadata: Metadata.parse(JSON.parse(row.metadata)) };
  // payload was parsed by the schema of row.type, so type and data agree.
  return event as StoredEvent;
};

export interface ReadStreamOptions {
  /** First stream version to return (default 1). */
  fromVersion?: number;
  limit?: number;
}

export interface ReadAllOptions {
  /** Return events with a position strictly greater than this (default 0: from the start). */
  after?: number;
  /** Stop at this position, inclusive. */
  to?: number;
  /** Page size (default 1000). */
  limit?: number;
}

export interface EventPage {
  events: StoredEvent[];
  /** Pass as `after` to read the next page; undefined when the log is exhausted. */
  next: number | undefined;
}

/** Statements for reading the log, prepared once per connection. */
export const createLogReader = (db: Db) => {
  const byStream = db.prepare(`SELECT ${EVENT_COLUMNS} FROM events WHERE stream_id = ? AND stream_version >= ? ORDER BY stream_version LIMIT ?`);
  const byPosition = db.prepare(`SELECT ${EVENT_COLUMNS} FROM events WHERE position > ? AND position <= ? ORDER BY position LIMIT ?`);
  const head = db.prepare(`SELECT coalesce(max(position), 0) FROM events`).pluck();

  const readAll = (options: ReadAllOptions = {}): EventPage => {
    const limit = options.limit ?? 1000;
    const events = byPosition.all(options.after ?? 0, options.to ?? Number.MAX_SAFE_INTEGER, limit).map(parseEventRow);
    const last = events.at(-1);
    return { events, next: events.length === limit && last ? last.position : undefined };
  };

  return {
    /** Events of one stream in version order. */
    readStream: (streamId: string, options: ReadStreamOptions = {}): StoredEvent[] =>
      byStream.all(streamId, options.fromVersion ?? 1, options.limit ?? -1).map(parseEventRow),
    readAll,
    /**
     * Every event from a position on, page by page: memory stays flat however long
     * the log, and the connection is free between pages (no open cursor).
     */
    *iterateAll(options: Omit<ReadAllOptions, "limit"> & { pageSize?: number } = {}): Generator<StoredEvent> {
      let after: number | undefined = options.after ?? 0;
      while (after !== undefined) {
        const page = readAll({ after, to: options.to, limit: options.pageSize ?? 1000 });
        yield* page.events;
        after = page.next;
      }
    },
    /** The position of the newest event (0 for an empty log). */
    headPosition: (): number => z.number().int().parse(head.get()),
  };
};
export type LogReader = ReturnType<typeof createLogReader>;
