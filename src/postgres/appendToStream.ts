import { z } from "zod";
import {
  checkStream,
  ExistingEvent,
  retryOf,
  type StreamHead,
  storedEvent,
  storedRow,
} from "../events/appendToStream.js";
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

/**
 * What an append reads before it writes, in one round trip after the lock is taken (a statement
 * of its own: in READ COMMITTED its snapshot is taken when it starts, so it sees every append
 * committed before the lock came): the newest position and hash, the heads of the batch's
 * streams, and the events already logged under the ids it gives.
 */
const BEFORE_WRITING = `SELECT
     (SELECT json_build_object('position', position, 'hash', hash) FROM events ORDER BY position DESC LIMIT 1) AS tail,
     (SELECT coalesce(json_agg(h), '[]') FROM (
        SELECT DISTINCT ON (stream_id) stream_id AS "streamId", stream_version AS version, type
        FROM events WHERE stream_id = ANY($1::text[]) ORDER BY stream_id, stream_version DESC) h) AS heads,
     (SELECT coalesce(json_agg(i), '[]') FROM (
        SELECT event_id AS "eventId", position, stream_id AS "streamId", stream_version AS "streamVersion", type, data
        FROM events WHERE event_id = ANY($2::text[])) i) AS ids`;
const BeforeWriting = z.object({
  tail: z.object({ position: z.number().int(), hash: z.string() }).nullable(),
  heads: z.array(z.object({ streamId: z.string(), version: z.number().int(), type: z.string() })),
  ids: z.array(ExistingEvent.extend({ eventId: z.string() })),
});
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
    events.length === 0
      ? []
      : // The lock goes with BEGIN, in one round trip (a constant key: no parameter needed).
        inTransaction(
          pool,
          (c) => appendAll(c, events, clock().toISOString()),
          `BEGIN; SELECT pg_advisory_xact_lock(${LOG_LOCK})`,
        );

const appendAll = async (c: PoolClient, events: readonly PreparedEvent[], recordedAt: string) => {
  const given = events.filter((e) => e.idGiven).map((e) => e.eventId);
  const read = BeforeWriting.parse(
    (await c.query(BEFORE_WRITING, [[...new Set(events.map((e) => e.streamId))], given])).rows[0],
  );
  const chain = { position: read.tail?.position ?? 0, hash: read.tail?.hash ?? GENESIS_HASH };
  const before = chain.position;
  // The heads of the batch's streams, kept up to date as it goes: later events see the earlier ones.
  const heads = new Map<string, StreamHead>(read.heads.map((h) => [h.streamId, { version: h.version, type: h.type }]));
  // The events already logged under the ids the batch gives, and those it logs: a retry may come in the same batch.
  const byId = new Map<string, z.output<typeof ExistingEvent>>(read.ids.map((i) => [i.eventId, i]));
  const appended: AppendedEvent[] = [];
  for (const [index, e] of events.entries()) {
    const existing = e.idGiven ? byId.get(e.eventId) : undefined;
    if (existing !== undefined) {
      appended.push(retryOf(existing, e, index));
      continue;
    }
    const head = heads.get(e.streamId) ?? NO_STREAM;
    checkStream(e, head, index);
    const streamVersion = head.version + 1;
    const position = chain.position + 1;
    const row = storedRow(e, position, streamVersion, recordedAt);
    const hash = chainHash(chain.hash, row);
    await c.query(INSERT, [...row, hash]);
    chain.position = position;
    chain.hash = hash;
    heads.set(e.streamId, { version: streamVersion, type: e.type });
    if (e.idGiven)
      byId.set(e.eventId, { position, streamId: e.streamId, streamVersion, type: e.type, data: e.dataJson });
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
