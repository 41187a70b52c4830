// The hand-rolled log of issue 13, exactly: an events table with `position INTEGER PRIMARY KEY`,
// `event_id` UNIQUE and UNIQUE(stream_id, stream_version), the payload as JSON.stringify text,
// UUIDv7 ids, the store's own projection SQL as prepared statements, one BEGIN IMMEDIATE
// transaction per call; no validation, no triggers, no chain, no checkpoint. What the store
// costs over it is what its guarantees cost.
import { uuidv7 } from "uuidv7";
import type { Db } from "../../src/db/connection.js";
import { chainHash, GENESIS_HASH } from "../../src/events/chain.js";
import type { StoredEvent } from "../../src/events/envelope.js";
import { prepareEvent, streamIdOf } from "../../src/events/prepareEvent.js";
import { eventTypes, OPENING_EVENTS } from "../../src/events/schemas.js";
import type { NewEvent } from "../../src/index.js";
import { createProjector } from "../../src/projections/index.js";
import { createProjectionState } from "../../src/projections/projectionState.js";

/** Replace the migrated events table (and its guards) of a fresh bench database by the bare log. */
export const HAND_ROLLED_LOG = `
  DROP TABLE events;
  CREATE TABLE events (
    position INTEGER PRIMARY KEY,
    event_id TEXT NOT NULL UNIQUE,
    stream_id TEXT NOT NULL,
    stream_version INTEGER NOT NULL,
    type TEXT NOT NULL,
    schema_version INTEGER NOT NULL,
    data TEXT NOT NULL,
    metadata TEXT NOT NULL,
    occurred_at TEXT NOT NULL,
    recorded_at TEXT NOT NULL,
    UNIQUE (stream_id, stream_version)
  );`;

/**
 * The store's guarantees, each of which can be put on the hand-rolled log on its own
 * (scripts/bench/breakdown.ts measures one step at a time): the store's events table
 * (AUTOINCREMENT, the CHECKs, the hash column), its guard triggers, the chain, the
 * validation and the projection checkpoint.
 */
export interface Guarantees {
  storeTable?: boolean;
  guards?: boolean;
  chain?: boolean;
  validation?: boolean;
  checkpoint?: boolean;
}

/**
 * A writer of workload events into the bare log and the store's projection tables.
 * A careful hand-rolled log still reads a stream's head from the table (another
 * process may have written it): once per call and stream, and not for an event that
 * opens its stream (the UNIQUE index refuses a second version 1), as the store does.
 */
export const handRolledWriter = (db: Db, add: Guarantees = {}) => {
  if (!add.storeTable) db.exec(HAND_ROLLED_LOG);
  else {
    if (!add.guards)
      db.exec("DROP TRIGGER events_no_replace; DROP TRIGGER events_no_update; DROP TRIGGER events_no_delete");
    if (!add.chain) db.exec("DROP TRIGGER events_chained");
  }
  const project = createProjector(db);
  const state = add.checkpoint ? createProjectionState(db) : undefined;
  state?.claimEmptyStore();
  const insert = db.prepare(
    `INSERT INTO events (event_id, stream_id, stream_version, type, schema_version, data, metadata, occurred_at, recorded_at${add.chain ? ", position, hash" : ""})
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?${add.chain ? ", ?, ?" : ""})`,
  );
  const tail = add.chain
    ? db
        .prepare(
          `SELECT (SELECT seq FROM sqlite_sequence WHERE name = 'events'), (SELECT hash FROM events ORDER BY position DESC LIMIT 1)`,
        )
        .raw()
    : undefined;
  const clock = () => new Date();
  const head = db
    .prepare(`SELECT stream_version FROM events WHERE stream_id = ? ORDER BY stream_version DESC LIMIT 1`)
    .pluck();
  const write = db.transaction((events: readonly NewEvent[]) => {
    const recordedAt = new Date().toISOString();
    const versions = new Map<string, number>();
    let [counter, previous] = tail ? (tail.get() as [number | null, string | null]) : [0, null];
    counter ??= 0;
    previous ??= GENESIS_HASH;
    let first = 0;
    let last = 0;
    for (const [index, e] of events.entries()) {
      const prepared = add.validation ? prepareEvent(e, index, clock) : undefined;
      const streamId = streamIdOf(e.data as StoredEvent["data"]);
      const known = versions.get(streamId) ?? (OPENING_EVENTS.has(e.type) ? 0 : Number(head.get(streamId) ?? 0));
      if (e.expectedVersion !== undefined && e.expectedVersion !== known)
        throw new Error(`version conflict on ${streamId}`);
      const streamVersion = known + 1;
      versions.set(streamId, streamVersion);
      const eventId = prepared?.eventId ?? e.id ?? uuidv7();
      const occurredAt = e.occurredAt ?? recordedAt;
      const metadata = e.metadata ?? {};
      const schemaVersion = eventTypes[e.type].version;
      const row: unknown[] = [
        eventId,
        streamId,
        streamVersion,
        e.type,
        schemaVersion,
        prepared?.dataJson ?? JSON.stringify(e.data),
        prepared?.metadataJson ?? JSON.stringify(metadata),
        occurredAt,
        recordedAt,
      ];
      if (add.chain) {
        counter++;
        const [id, stream, version, type, schema, data, meta, occurred, recorded] = row;
        previous = chainHash(previous, [counter, id, stream, version, type, schema, data, meta, occurred, recorded]);
        row.push(counter, previous);
      }
      const position = Number(insert.run(...row).lastInsertRowid);
      first ||= position;
      last = position;
      project({
        position,
        eventId,
        streamId,
        streamVersion,
        type: e.type,
        schemaVersion,
        data: prepared?.data ?? e.data,
        metadata,
        occurredAt,
        recordedAt,
      } as StoredEvent);
    }
    state?.advance(first - 1, last);
  });
  return (events: readonly NewEvent[]): void => write.immediate(events);
};
