import { isDeepStrictEqual } from "node:util";
import { z } from "zod";
import type { Db } from "../db/connection.js";
import { StoreError, VersionConflictError } from "../errors.js";
import type { AppendedEvent, StoredEvent } from "./envelope.js";
import type { PreparedEvent } from "./prepareEvent.js";
import { CLOSING_EVENTS, OPENING_EVENTS } from "./schemas.js";

/** Applies one event to the projection tables, inside the append's transaction. */
export type Projector = (event: StoredEvent) => void;

const StreamHead = z.object({ version: z.number().int(), type: z.string() });
const ExistingEvent = z.object({
  position: z.number().int(),
  streamId: z.string(),
  streamVersion: z.number().int(),
  type: z.string(),
  data: z.string(),
});

export interface AppendHooks {
  /** Runs inside the transaction after the batch's last new event, with its position (bookkeeping such as checkpoints). */
  beforeCommit?: (lastPosition: number) => void;
}

/** How often a write is retried after SQLITE_BUSY outlasted the busy timeout. */
const BUSY_RETRIES = 5;
const sleep = (ms: number) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
const isBusy = (e: unknown) => typeof (e as { code?: unknown })?.code === "string" && (e as { code: string }).code.startsWith("SQLITE_BUSY");

/** Run a write transaction, retrying a bounded number of times if another writer held the lock past the busy timeout. */
export const withBusyRetry = <T>(write: () => T): T => {
  for (let attempt = 0; ; attempt++) {
    try {
      return write();
    } catch (e) {
      if (!isBusy(e)) throw e;
      if (attempt >= BUSY_RETRIES)
        throw new StoreError("STORE_BUSY", `database stayed locked by another writer through ${BUSY_RETRIES + 1} busy timeouts`, {}, { cause: e });
      sleep(25 * 2 ** attempt + Math.random() * 25);
    }
  }
};

/**
 * Build the append function for one connection: statements prepared once, one
 * BEGIN IMMEDIATE transaction per call, all events or none.
 * @example const append = createAppender(db, project, () => new Date()); append(prepared);
 */
export const createAppender = (db: Db, project: Projector, clock: () => Date, hooks: AppendHooks = {}) => {
  const insert = db.prepare(
    `INSERT INTO events (event_id, stream_id, stream_version, type, schema_version, data, metadata, occurred_at, recorded_at)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  const streamHead = db.prepare(`SELECT stream_version AS version, type FROM events WHERE stream_id = ? ORDER BY stream_version DESC LIMIT 1`);
  const byEventId = db.prepare(
    `SELECT position, stream_id AS streamId, stream_version AS streamVersion, type, data FROM events WHERE event_id = ?`,
  );

  const findRetry = (e: PreparedEvent, index: number): AppendedEvent | undefined => {
    if (!e.idGiven) return undefined;
    const row = byEventId.get(e.eventId);
    if (row === undefined) return undefined;
    const existing = ExistingEvent.parse(row);
    if (existing.type !== e.type || existing.streamId !== e.streamId || !isDeepStrictEqual(JSON.parse(existing.data), JSON.parse(e.dataJson)))
      throw new StoreError(
        "IDEMPOTENCY_CONFLICT",
        `event ${index}: event id ${e.eventId} is already in the log at position ${existing.position} (${existing.type} on ${existing.streamId}) with other content`,
        { index, eventId: e.eventId, position: existing.position },
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

  const checkStream = (e: PreparedEvent, head: { version: number; type: string }, index: number) => {
    if (e.expectedVersion !== undefined && e.expectedVersion !== head.version)
      throw new VersionConflictError(e.streamId, e.expectedVersion, head.version, index);
    if (OPENING_EVENTS.has(e.type) && head.version > 0)
      throw new StoreError("STREAM_EXISTS", `event ${index}: ${e.type} for ${e.streamId}, which already exists (version ${head.version})`, {
        index,
        streamId: e.streamId,
        actualVersion: head.version,
      });
    if (!OPENING_EVENTS.has(e.type) && head.version === 0)
      throw new StoreError("STREAM_NOT_FOUND", `event ${index}: ${e.type} for ${e.streamId}, which was never started`, { index, streamId: e.streamId });
    if (CLOSING_EVENTS.has(head.type))
      throw new StoreError("STREAM_CLOSED", `event ${index}: ${e.type} for ${e.streamId}, which already ended with ${head.type} (version ${head.version})`, {
        index,
        streamId: e.streamId,
        actualVersion: head.version,
      });
  };

  const write = db.transaction((events: readonly PreparedEvent[]): AppendedEvent[] => {
    const recordedAt = clock().toISOString();
    // Streams touched by this batch: later events see the earlier ones without another query.
    const heads = new Map<string, { version: number; type: string }>();
    const appended = events.map((e, index) => {
      const retry = findRetry(e, index);
      if (retry) return retry;
      const row = heads.get(e.streamId) ?? streamHead.get(e.streamId);
      const head = row === undefined ? { version: 0, type: "" } : StreamHead.parse(row);
      checkStream(e, head, index);
      const streamVersion = head.version + 1;
      const info = insert.run(e.eventId, e.streamId, streamVersion, e.type, e.schemaVersion, e.dataJson, e.metadataJson, e.occurredAt, recordedAt);
      const position = Number(info.lastInsertRowid);
      heads.set(e.streamId, { version: streamVersion, type: e.type });
      project({ ...e, position, streamVersion, recordedAt });
      return { position, eventId: e.eventId, streamId: e.streamId, streamVersion, type: e.type, duplicate: false };
    });
    const last = appended.findLast((e) => !e.duplicate);
    if (last && hooks.beforeCommit) hooks.beforeCommit(last.position);
    return appended;
  });

  return (events: readonly PreparedEvent[]): AppendedEvent[] => (events.length === 0 ? [] : withBusyRetry(() => write.immediate(events)));
};
