import { checkStream, ExistingEvent, retryOf, type StreamHead, storedEvent } from "../events/appendToStream.js";
import { chainHash, GENESIS_HASH } from "../events/chain.js";
import type { AppendedEvent } from "../events/envelope.js";
import type { PreparedEvent } from "../events/prepareEvent.js";
import { inTransaction, type Pool, type PoolClient } from "./connection.js";
import { projectOnPostgres } from "./projections.js";

/**
 * The key of the transaction-scoped advisory lock every append takes first. Appends from every
 * connection and machine serialize on it: each reads the newest position after the previous
 * append committed, so positions are gapless and commit in position order, and a reader that
 * checkpoints a position never later sees a lower one appear (docs/postgres.md).
 */
export const LOG_LOCK = 0x61727469; // "arti"

const NO_STREAM: StreamHead = { version: 0, type: "" };

const HEAD_OF_LOG = `SELECT position, hash FROM events ORDER BY position DESC LIMIT 1`;
const HEAD_OF_STREAM = `SELECT stream_version AS version, type FROM events WHERE stream_id = $1 ORDER BY stream_version DESC LIMIT 1`;
const BY_EVENT_ID = `SELECT position, stream_id AS "streamId", stream_version AS "streamVersion", type, data FROM events WHERE event_id = $1`;
const INSERT = `INSERT INTO events (position, event_id, stream_id, stream_version, type, schema_version, data, metadata, occurred_at, recorded_at, hash)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`;
const ADVANCE = `UPDATE projection_state SET position = $2 WHERE position = $1`;

/**
 * Append prepared events to the PostgreSQL log in one transaction, with the SQLite store's
 * rules: the advisory lock first, then per event its retry check (a given id already in the
 * log is a duplicate or an IDEMPOTENCY_CONFLICT), its stream rules, its insert at the next
 * position with its chain hash, and its projections. All events or none.
 * @example const append = createPostgresAppender(pool, () => new Date()); await append(prepared);
 */
export const createPostgresAppender =
  (pool: Pool, clock: () => Date) =>
  async (events: readonly PreparedEvent[]): Promise<AppendedEvent[]> =>
    events.length === 0 ? [] : inTransaction(pool, (c) => appendAll(c, events, clock().toISOString()));

const appendAll = async (c: PoolClient, events: readonly PreparedEvent[], recordedAt: string) => {
  await c.query(`SELECT pg_advisory_xact_lock($1)`, [LOG_LOCK]);
  const tail = (await c.query<{ position: number; hash: string }>(HEAD_OF_LOG)).rows[0];
  const chain = { position: tail?.position ?? 0, hash: tail?.hash ?? GENESIS_HASH };
  const before = chain.position;
  // Streams touched by this batch: later events see the earlier ones without another query.
  const heads = new Map<string, StreamHead>();
  const appended: AppendedEvent[] = [];
  for (const [index, e] of events.entries()) {
    if (e.idGiven) {
      const row = (await c.query(BY_EVENT_ID, [e.eventId])).rows[0];
      if (row !== undefined) {
        appended.push(retryOf(ExistingEvent.parse(row), e, index));
        continue;
      }
    }
    const head = heads.get(e.streamId) ?? (await headOf(c, e.streamId));
    checkStream(e, head, index);
    const streamVersion = head.version + 1;
    const position = chain.position + 1;
    const row = [
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
    const hash = chainHash(chain.hash, row);
    await c.query(INSERT, [...row, hash]);
    chain.position = position;
    chain.hash = hash;
    heads.set(e.streamId, { version: streamVersion, type: e.type });
    await projectOnPostgres(c, storedEvent(e, position, streamVersion, recordedAt));
    appended.push({
      position,
      eventId: e.eventId,
      streamId: e.streamId,
      streamVersion,
      type: e.type,
      duplicate: false,
    });
  }
  // Only checkpoints that were in step before this append advance: a lag stays visible.
  if (chain.position > before) await c.query(ADVANCE, [before, chain.position]);
  return appended;
};

const headOf = async (c: PoolClient, streamId: string): Promise<StreamHead> => {
  const row = (await c.query<StreamHead>(HEAD_OF_STREAM, [streamId])).rows[0];
  return row ?? NO_STREAM;
};
