import { z } from "zod";
import type { Db } from "../db/connection.js";
import { StoreError } from "../db/errors.js";
import { messageOf } from "../db/sqliteErrors.js";
import { brokenChain, type ChainLink, chainHash, GENESIS_HASH, linkProblem } from "./chain.js";
import type { StoredEvent } from "./envelope.js";
import { type EventType, eventTypes, isEventType, Metadata, payloadParsers } from "./schemas.js";
import { upcast } from "./upcast.js";

export const EVENT_COLUMNS = `position, event_id AS eventId, stream_id AS streamId, stream_version AS streamVersion, type,
  schema_version AS schemaVersion, data, metadata, occurred_at AS occurredAt, recorded_at AS recordedAt`;

/** The aliases of EVENT_COLUMNS, in its order: the fields of a `.raw()` row and of a stored event. */
export const EVENT_FIELDS = [
  "position",
  "eventId",
  "streamId",
  "streamVersion",
  "type",
  "schemaVersion",
  "data",
  "metadata",
  "occurredAt",
  "recordedAt",
] as const;

/** A value as SQLite stored it, briefly. */
const describeValue = (v: unknown): string =>
  v === null || v === undefined
    ? "NULL"
    : typeof v === "string"
      ? `text ${JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v)}`
      : typeof v === "number" || typeof v === "bigint"
        ? `the number ${v}`
        : v instanceof Uint8Array
          ? `a blob of ${v.length} bytes`
          : typeof v;

/** A row whose envelope does not have the log's column types: the log was written by foreign code. */
const corruptRow = (fields: readonly unknown[], i: number, expected: string): StoreError => {
  const position = fields[0];
  const field = EVENT_FIELDS[i] ?? `column ${i + 1}`;
  const where = typeof position === "number" ? ` at position ${position}` : "";
  return new StoreError(
    "CORRUPT_LOG",
    `event row${where}: ${field} should be ${expected}, got ${describeValue(fields[i])}`,
    { position, field, value: fields[i] },
  );
};

// The envelope is checked by hand: a zod object parse of every row costs a replay dearly (docs/performance.md).
const text = (fields: readonly unknown[], i: number): string => {
  const v = fields[i];
  if (typeof v === "string") return v;
  throw corruptRow(fields, i, "text");
};
const integer = (fields: readonly unknown[], i: number): number => {
  const v = fields[i];
  if (typeof v === "number" && Number.isInteger(v)) return v;
  throw corruptRow(fields, i, "an integer");
};

/**
 * The row's fields in EVENT_COLUMNS order, from a `.raw()` row or an object keyed by the aliases.
 * @example const fields = fieldsOf(statement.raw().get()); fields[0] // the position
 */
export const fieldsOf = (raw: unknown): readonly unknown[] => {
  if (Array.isArray(raw)) return raw;
  if (typeof raw === "object" && raw !== null) return EVENT_FIELDS.map((f): unknown => Reflect.get(raw, f));
  throw new StoreError("CORRUPT_LOG", `event row should be the columns of EVENT_COLUMNS, got ${describeValue(raw)}`, {
    value: raw,
  });
};

/** An event whose payload no handler could read. (Module level, not a closure per row: tsx names every closure it creates.) */
const corruptEvent = (position: number, type: string, streamId: string, why: string): StoreError =>
  new StoreError("CORRUPT_LOG", `event at position ${position} (${type} on ${streamId}): ${why}`, { position });

/** A column of JSON text, parsed: text that is not JSON (the CHECKs refuse it, so only a damaged file holds it) is CORRUPT_LOG. */
const parseJsonColumn = (fields: readonly unknown[], i: number, position: number, type: string, streamId: string) => {
  const json = text(fields, i);
  try {
    return JSON.parse(json);
  } catch (e) {
    throw corruptEvent(
      position,
      type,
      streamId,
      `${EVENT_FIELDS[i] ?? `column ${i + 1}`} is not JSON (${messageOf(e)})`,
    );
  }
};

/** Most events carry no metadata: `{}` parses to the same object every time, unless the schema stops accepting it. */
const EMPTY_METADATA = Metadata.safeParse({});
const parseMetadata = (fields: readonly unknown[], position: number, type: string, streamId: string): Metadata => {
  if (fields[7] === "{}" && EMPTY_METADATA.success) return { ...EMPTY_METADATA.data };
  const metadata = Metadata.safeParse(parseJsonColumn(fields, 7, position, type, streamId));
  if (metadata.success) return metadata.data;
  throw corruptEvent(
    position,
    type,
    streamId,
    metadata.error.issues.map((i) => `metadata.${i.path.join(".")}: ${i.message}`).join("; "),
  );
};

/**
 * Parse one row of the log (selected with EVENT_COLUMNS, as an object or a
 * `.raw()` array) into a typed event, upcasting its payload to the newest schema.
 * A row that does not parse means the log was written by foreign code: CORRUPT_LOG.
 */
export const parseEventRow = (raw: unknown): StoredEvent => {
  const fields = fieldsOf(raw);
  const position = integer(fields, 0);
  const streamId = text(fields, 2);
  const type = text(fields, 4);
  const schemaVersion = integer(fields, 5);
  if (!isEventType(type)) throw corruptEvent(position, type, streamId, `unknown event type "${type}"`);
  if (schemaVersion < 1) throw corruptEvent(position, type, streamId, `schema version ${schemaVersion} is below 1`);
  if (schemaVersion > eventTypes[type].version)
    throw corruptEvent(
      position,
      type,
      streamId,
      `schema version ${schemaVersion} is newer than this code knows (${eventTypes[type].version})`,
    );
  return eventOfType(type, fields, position, streamId, schemaVersion);
};

/** The rest of a row of a known type: its payload parsed by that type's schema, so type and data agree. */
const eventOfType = <T extends EventType>(
  type: T,
  fields: readonly unknown[],
  position: number,
  streamId: string,
  schemaVersion: number,
): StoredEvent<T> => {
  const payload = payloadParsers[type].safeParse(
    upcast(type, schemaVersion, parseJsonColumn(fields, 6, position, type, streamId)),
  );
  if (!payload.success)
    throw corruptEvent(
      position,
      type,
      streamId,
      payload.error.issues.map((i) => `data.${i.path.join(".")}: ${i.message}`).join("; "),
    );
  return {
    position,
    eventId: text(fields, 1),
    streamId,
    streamVersion: integer(fields, 3),
    type,
    schemaVersion,
    data: payload.data,
    metadata: parseMetadata(fields, position, type, streamId),
    occurredAt: text(fields, 8),
    recordedAt: text(fields, 9),
  };
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

const Position = z.number().int();

/**
 * The position of the newest event (0 for an empty log), by a statement prepared once.
 * @example const headPosition = prepareHeadPosition(db); headPosition() // 1042
 */
export const prepareHeadPosition = (db: Db): (() => number) => {
  const head = db.prepare(`SELECT coalesce(max(position), 0) FROM events`).pluck();
  return () => Position.parse(head.get());
};

/**
 * Events page by page, each page a fresh query that starts after the last event of
 * the one before: memory stays flat however long the log, and the connection is free
 * between pages (no open cursor). `readPage(after, limit)` returns up to `limit`
 * events after position `after`, in position order.
 * @example readInPages((after, limit) => page.all(after, limit).map(parseEventRow), { pageSize: 500 })
 */
export function* readInPages(
  readPage: (after: number, limit: number) => StoredEvent[],
  { after = 0, pageSize, limit = Number.POSITIVE_INFINITY }: { after?: number; pageSize: number; limit?: number },
): Generator<StoredEvent> {
  let from = after;
  let left = limit;
  while (left > 0) {
    const size = Math.min(pageSize, left);
    const events = readPage(from, size);
    yield* events;
    const last = events.at(-1);
    if (!last || events.length < size) return;
    from = last.position;
    left -= events.length;
  }
}

/** Statements for reading the log, prepared once per connection. */
export const createLogReader = (db: Db) => {
  // Rows as arrays: no object per row that parseEventRow would only take apart.
  const byStream = db
    .prepare(
      `SELECT ${EVENT_COLUMNS} FROM events WHERE stream_id = ? AND stream_version >= ? ORDER BY stream_version LIMIT ?`,
    )
    .raw();
  const byPosition = db
    .prepare(`SELECT ${EVENT_COLUMNS} FROM events WHERE position > ? AND position <= ? ORDER BY position LIMIT ?`)
    .raw();
  const page = (after: number, to: number | undefined, limit: number): StoredEvent[] =>
    byPosition.all(after, to ?? Number.MAX_SAFE_INTEGER, limit).map(parseEventRow);
  const hashAt = db.prepare(`SELECT hash FROM events WHERE position = ?`).pluck();
  const chainedPage = db
    .prepare(`SELECT ${EVENT_COLUMNS}, hash FROM events WHERE position > ? AND position <= ? ORDER BY position LIMIT ?`)
    .raw();

  /**
   * Events after `link.position` up to `to`, page by page as iterateAll reads them, each
   * checked to extend the chain before it is parsed and yielded: its stored hash must be
   * the hash of its columns and of `link.hash`. `link` moves to each event yielded, so a
   * later call goes on from there. The first event that breaks the chain (or fails its
   * schema) throws CORRUPT_LOG naming its position; nothing after it is read.
   */
  function* iterateChained(
    link: ChainLink,
    { to, pageSize = 1000 }: { to?: number; pageSize?: number } = {},
  ): Generator<StoredEvent> {
    for (;;) {
      const rows = chainedPage.all(link.position, to ?? Number.MAX_SAFE_INTEGER, pageSize);
      for (const row of rows) {
        const fields = fieldsOf(row);
        const hash = chainHash(link.hash, fields);
        const problem = linkProblem(fields, hash);
        if (problem) throw brokenChain(db.name, integer(fields, 0), problem);
        const event = parseEventRow(fields);
        link.position = event.position;
        link.hash = hash;
        yield event;
      }
      if (rows.length < pageSize) return;
    }
  }

  return {
    /** Events of one stream in version order. */
    readStream: (streamId: string, options: ReadStreamOptions = {}): StoredEvent[] =>
      byStream.all(streamId, options.fromVersion ?? 1, options.limit ?? -1).map(parseEventRow),
    readAll: (options: ReadAllOptions = {}): EventPage => {
      const limit = options.limit ?? 1000;
      const events = page(options.after ?? 0, options.to, limit);
      const last = events.at(-1);
      return { events, next: events.length === limit && last ? last.position : undefined };
    },
    /**
     * Every event from a position on, page by page: memory stays flat however long
     * the log, and the connection is free between pages (no open cursor).
     */
    iterateAll: (options: Omit<ReadAllOptions, "limit"> & { pageSize?: number } = {}): Generator<StoredEvent> =>
      readInPages((after, limit) => page(after, options.to, limit), {
        after: options.after ?? 0,
        pageSize: options.pageSize ?? 1000,
      }),
    iterateChained,
    /** The chain at a position, by the hash the log stores there (GENESIS_HASH at 0): where iterateChained may start. */
    linkAt: (position: number): ChainLink => {
      if (position === 0) return { position, hash: GENESIS_HASH };
      const hash: unknown = hashAt.get(position);
      if (typeof hash !== "string")
        throw brokenChain(db.name, position, hash === undefined ? "is not in the log" : "has no chain hash");
      return { position, hash };
    },
    /** The position of the newest event (0 for an empty log). */
    headPosition: prepareHeadPosition(db),
  };
};
export type LogReader = ReturnType<typeof createLogReader>;
