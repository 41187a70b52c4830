import { isDeepStrictEqual } from "node:util";
import { z } from "zod";
import type { Db } from "../db/connection.js";
import { eventError, VersionConflictError } from "../db/errors.js";
import { messageOf, sqliteCode, withBusyRetry } from "../db/sqliteErrors.js";
import { chainHash, GENESIS_HASH, unchainedLog } from "./chain.js";
import type { AppendedEvent, StoredEvent } from "./envelope.js";
import type { PreparedEvent, PreparedEventOf } from "./prepareEvent.js";
import { CLOSING_EVENTS, type EventType, OPENING_EVENTS } from "./schemas.js";

/** Applies one event to the projection tables, inside the append's transaction. */
export type Projector = (event: StoredEvent) => void;

const StreamHead = z.object({ version: z.number().int(), type: z.string() });
/** A stream's newest version and the type of its newest event (version 0 and "" before it exists). */
export type StreamHead = z.output<typeof StreamHead>;
type Head = StreamHead;
const NO_STREAM: Head = { version: 0, type: "" };
/** Events per multi-row INSERT, largest first: a batch goes in chunks of 50, its remainder in chunks of 10, the rest one by one. */
const CHUNKS = [50, 10] as const;
const LogHead = z.tuple([z.number().int().nullable(), z.string().nullable(), z.number().int().nullable()]);

/**
 * The insert collided with an event already in the log. The events_no_replace
 * trigger (it stops INSERT OR REPLACE from rewriting the log) aborts every
 * colliding insert before the UNIQUE indexes see it, so it is the usual signal;
 * a UNIQUE violation is matched too, for a schema without that trigger.
 */
const isCollision = (e: unknown): boolean => {
  const code = sqliteCode(e);
  return (
    code === "SQLITE_CONSTRAINT_UNIQUE" ||
    (code === "SQLITE_CONSTRAINT_TRIGGER" && messageOf(e).includes("may not replace an existing event"))
  );
};
/** An event found by its id, to compare with a retry of it. */
export const ExistingEvent = z.object({
  position: z.number().int(),
  streamId: z.string(),
  streamVersion: z.number().int(),
  type: z.string(),
  data: z.string(),
});

/**
 * The columns an event is stored with, in EVENT_COLUMNS order (hash aside): what the insert writes
 * and what the chain hashes, on SQLite and on PostgreSQL alike.
 * @example chainHash(previous, storedRow(e, 7, 1, "2026-01-08T12:00:00.000Z"))
 */
export const storedRow = (e: PreparedEvent, position: number, streamVersion: number, recordedAt: string) =>
  [
    position,
    e.eventId,
    e.streamId,
    streamVersion,
    e.type,
    e.schemaVersion,
    e.dataJson,
    e.metadataJson,
    e.occurredAt,
    recordedAt,
  ] as const;

/**
 * The stream rules of one event against its stream's head: the expected version, opened once,
 * never before it was opened, nothing after it was closed. Both backends apply them.
 * @example checkStream(prepared, { version: 0, type: "" }, 0) // throws STREAM_NOT_FOUND for an ImageCurated
 */
export const checkStream = (e: PreparedEvent, head: StreamHead, index: number): void => {
  if (e.expectedVersion !== undefined && e.expectedVersion !== head.version)
    throw new VersionConflictError(e.streamId, e.expectedVersion, head.version, index);
  if (OPENING_EVENTS.has(e.type) && head.version > 0)
    throw eventError(
      "STREAM_EXISTS",
      { index },
      `${e.type} for ${e.streamId}, which already exists (version ${head.version})`,
      { streamId: e.streamId, actualVersion: head.version },
    );
  if (!OPENING_EVENTS.has(e.type) && head.version === 0)
    throw eventError("STREAM_NOT_FOUND", { index }, `${e.type} for ${e.streamId}, which was never started`, {
      streamId: e.streamId,
    });
  if (CLOSING_EVENTS.has(head.type))
    throw eventError(
      "STREAM_CLOSED",
      { index },
      `${e.type} for ${e.streamId}, which already ended with ${head.type} (version ${head.version})`,
      { streamId: e.streamId, actualVersion: head.version },
    );
};

/**
 * What a given event id already in the log makes of an event: a duplicate (same type, stream
 * and payload: the old position is returned) or an IDEMPOTENCY_CONFLICT. Both backends use it.
 */
export const retryOf = (existing: z.output<typeof ExistingEvent>, e: PreparedEvent, index: number): AppendedEvent => {
  if (
    existing.type !== e.type ||
    existing.streamId !== e.streamId ||
    !isDeepStrictEqual(JSON.parse(existing.data), JSON.parse(e.dataJson))
  )
    throw eventError(
      "IDEMPOTENCY_CONFLICT",
      { index },
      `event id ${e.eventId} is already in the log at position ${existing.position} (${existing.type} on ${existing.streamId}) with other content`,
      { eventId: e.eventId, position: existing.position },
    );
  return {
    position: existing.position,
    eventId: e.eventId,
    streamId: existing.streamId,
    streamVersion: existing.streamVersion,
    type: e.type,
    duplicate: true,
  };
};

/**
 * The stored form of a prepared event, built field by field: a spread of objects
 * of so many shapes takes V8's slow path (figures: docs/performance.md).
 */
export const storedEvent = <T extends EventType>(
  e: PreparedEventOf<T>,
  position: number,
  streamVersion: number,
  recordedAt: string,
): StoredEvent<T> => ({
  position,
  eventId: e.eventId,
  streamId: e.streamId,
  streamVersion,
  type: e.type,
  schemaVersion: e.schemaVersion,
  data: e.data,
  metadata: e.metadata,
  occurredAt: e.occurredAt,
  recordedAt,
});

export interface AppendHooks {
  /** Runs inside the transaction after the batch's last new event, with its position (bookkeeping such as checkpoints). */
  beforeCommit?: (lastPosition: number) => void;
}

/**
 * Build the append function for one connection: statements prepared once, one
 * BEGIN IMMEDIATE transaction per call, all events or none.
 * @example const append = createAppender(db, project, () => new Date()); append(prepared);
 */
export const createAppender = (db: Db, project: Projector, clock: () => Date, hooks: AppendHooks = {}) => {
  const insert = db.prepare(
    `INSERT INTO events (position, event_id, stream_id, stream_version, type, schema_version, data, metadata, occurred_at, recorded_at, hash)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  // The newest event and the AUTOINCREMENT counter, in one statement: the next position is the one
  // AUTOINCREMENT would give (never one a removed event had), and it is part of the event's hash.
  const logHead = db
    .prepare(
      `SELECT e.position, e.hash, (SELECT seq FROM sqlite_sequence WHERE name = 'events')
       FROM (SELECT 1) LEFT JOIN (SELECT position, hash FROM events ORDER BY position DESC LIMIT 1) e`,
    )
    .raw();
  /** The position last given out and the hash the next event chains from; read at a transaction's first insert. */
  let chain: { counter: number; hash: string } | undefined;
  const chainTail = () => {
    if (chain) return chain;
    const [position, hash, seq] = LogHead.parse(logHead.get());
    if (position !== null && hash === null) throw unchainedLog(db.name, position);
    chain = { counter: Math.max(position ?? 0, seq ?? 0), hash: hash ?? GENESIS_HASH };
    return chain;
  };
  const streamHead = db.prepare(
    `SELECT stream_version AS version, type FROM events WHERE stream_id = ? ORDER BY stream_version DESC LIMIT 1`,
  );
  const byEventId = db.prepare(
    `SELECT position, stream_id AS streamId, stream_version AS streamVersion, type, data FROM events WHERE event_id = ?`,
  );

  const findRetry = (e: PreparedEvent, index: number): AppendedEvent | undefined => {
    if (!e.idGiven) return undefined;
    const row = byEventId.get(e.eventId);
    if (row === undefined) return undefined;
    return retryOf(ExistingEvent.parse(row), e, index);
  };

  const headOf = (streamId: string) => {
    const row = streamHead.get(streamId);
    return row === undefined ? NO_STREAM : StreamHead.parse(row);
  };

  /** Where an event goes: the head its stream checks against, its version, position, row and hash. */
  const place = (e: PreparedEvent, index: number, recordedAt: string, heads: Map<string, Head>) => {
    const optimistic = !heads.has(e.streamId) && OPENING_EVENTS.has(e.type) && !e.expectedVersion;
    const head = heads.get(e.streamId) ?? (optimistic ? NO_STREAM : headOf(e.streamId));
    checkStream(e, head, index);
    const streamVersion = head.version + 1;
    const tail = chainTail();
    const position = tail.counter + 1;
    const row = storedRow(e, position, streamVersion, recordedAt);
    const hash = chainHash(tail.hash, row);
    return { optimistic, position, streamVersion, row, hash };
  };

  const insertAtNextVersion = (e: PreparedEvent, index: number, recordedAt: string, heads: Map<string, Head>) => {
    const { optimistic, position, streamVersion, row, hash } = place(e, index, recordedAt, heads);
    try {
      insert.run(...row, hash);
      chain = { counter: position, hash };
      return { position, streamVersion };
    } catch (err) {
      if (optimistic && isCollision(err)) checkStream(e, headOf(e.streamId), index);
      throw err;
    }
  };

  /**
   * Write one event at the stream's next version. A stream opened by this event
   * and not yet seen in the batch is not looked up: the log refuses version 1 of an
   * existing stream (events_no_replace, then UNIQUE(stream_id, stream_version)), and only
   * then is its head read for the error. A given id is not looked up either: the log
   * refuses a repeated event_id the same way, and only
   * then (or when the stream refuses the event) is the log asked whether it is a retry.
   */
  const appendOne = (e: PreparedEvent, index: number, recordedAt: string, heads: Map<string, Head>): AppendedEvent => {
    let written: { position: number; streamVersion: number };
    try {
      written = insertAtNextVersion(e, index, recordedAt, heads);
    } catch (err) {
      const retry = findRetry(e, index);
      if (retry) return retry;
      throw err;
    }
    const { position, streamVersion } = written;
    heads.set(e.streamId, { version: streamVersion, type: e.type });
    project(storedEvent(e, position, streamVersion, recordedAt));
    return { position, eventId: e.eventId, streamId: e.streamId, streamVersion, type: e.type, duplicate: false };
  };

  // A chunk of events goes into the log in one multi-row INSERT: one statement instead of one per
  // event, the same triggers and indexes for every row.
  const chunkInserts = CHUNKS.map((size) => ({
    size,
    statement: db.prepare(
      `INSERT INTO events (position, event_id, stream_id, stream_version, type, schema_version, data, metadata, occurred_at, recorded_at, hash)
       VALUES ${Array.from({ length: size }, () => "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)").join(", ")}`,
    ),
    args: new Array<unknown>(size * 11),
  }));

  /**
   * Append a chunk (its first event at `from` in the batch) with one INSERT, or return undefined
   * having changed nothing: when an event breaks a stream rule, or the log refuses the statement (a
   * retry, a stream opened elsewhere), SQLite undoes that statement alone and the caller appends
   * the chunk event by event, which finds the same error at the same index, or the retries, as ever.
   */
  const appendChunk = (
    { statement, args }: (typeof chunkInserts)[number],
    chunk: readonly PreparedEvent[],
    from: number,
    recordedAt: string,
    heads: Map<string, Head>,
  ): AppendedEvent[] | undefined => {
    const savedChain = chain;
    const undo: [string, Head | undefined][] = [];
    const placed: { e: PreparedEvent; position: number; streamVersion: number }[] = [];
    const restore = () => {
      chain = savedChain;
      for (const [streamId, head] of undo.reverse()) {
        if (head) heads.set(streamId, head);
        else heads.delete(streamId);
      }
      return undefined;
    };
    for (const [k, e] of chunk.entries()) {
      let p: ReturnType<typeof place>;
      try {
        p = place(e, from + k, recordedAt, heads);
      } catch {
        return restore();
      }
      for (let c = 0; c < 10; c++) args[k * 11 + c] = p.row[c];
      args[k * 11 + 10] = p.hash;
      chain = { counter: p.position, hash: p.hash };
      undo.push([e.streamId, heads.get(e.streamId)]);
      heads.set(e.streamId, { version: p.streamVersion, type: e.type });
      placed.push({ e, position: p.position, streamVersion: p.streamVersion });
    }
    try {
      statement.run(args);
    } catch (err) {
      // Some failures (a full disk) roll the whole transaction back: nothing is left to retry in.
      if (!db.inTransaction) throw err;
      return restore();
    }
    return placed.map(({ e, position, streamVersion }) => {
      project(storedEvent(e, position, streamVersion, recordedAt));
      return { position, eventId: e.eventId, streamId: e.streamId, streamVersion, type: e.type, duplicate: false };
    });
  };

  const write = db.transaction((events: readonly PreparedEvent[]): AppendedEvent[] => {
    chain = undefined;
    const recordedAt = clock().toISOString();
    // Streams touched by this batch: later events see the earlier ones without another query.
    const heads = new Map<string, Head>();
    const appended: AppendedEvent[] = [];
    const oneByOne = (from: number, chunk: readonly PreparedEvent[]) => {
      for (const [k, e] of chunk.entries()) appended.push(appendOne(e, from + k, recordedAt, heads));
    };
    let index = 0;
    for (const insert of chunkInserts)
      for (; index + insert.size <= events.length; index += insert.size) {
        const chunk = events.slice(index, index + insert.size);
        const written = appendChunk(insert, chunk, index, recordedAt, heads);
        if (written) appended.push(...written);
        else oneByOne(index, chunk);
      }
    oneByOne(index, events.slice(index));
    const last = appended.findLast((e) => !e.duplicate);
    if (last && hooks.beforeCommit) hooks.beforeCommit(last.position);
    return appended;
  });

  return (events: readonly PreparedEvent[]): AppendedEvent[] =>
    events.length === 0 ? [] : withBusyRetry(() => write.immediate(events));
};
