import { z } from "zod";
import { type Db, openConnection } from "../db/connection.js";
import { StoreError } from "../db/errors.js";
import { runDbmate } from "../db/migrations.js";
import { cliCommand } from "../db/paths.js";
import { withBusyRetry } from "../db/sqliteErrors.js";
import { optimizeBeforeClose } from "../db/statistics.js";
import { chainHash, GENESIS_HASH, shortHash } from "./chain.js";
import { EVENT_COLUMNS, fieldsOf } from "./readEvents.js";

/** Events hashed per transaction: short enough that appenders waiting on the lock hardly notice. */
export const BACKFILL_BATCH = 1000;

export interface BackfillOptions {
  batchSize?: number;
  /** After each transaction: events hashed so far, out of the events that had no hash. */
  onProgress?: (progress: { done: number; total: number }) => void;
}

const Position = z.number().int();
const OptionalHash = z.string().nullable();

/**
 * Compute the chain hash of every event that has none yet: the events a log held
 * when the chain migration added the column. In position order, one short
 * BEGIN IMMEDIATE transaction per batch, each starting from the hash of the event
 * before it as the database holds it: a run killed half-way leaves a chained
 * prefix, and the next run goes on from there (idempotent, resumable). Returns
 * how many events it hashed: 0, after one indexed lookup, on a chained log.
 * An event that already has a hash, but not the one its place in the chain
 * gives, is refused (CORRUPT_LOG): the backfill never adopts a foreign event.
 * @example backfillChain(db) // { hashed: 120000 }
 */
export const backfillChain = (db: Db, options: BackfillOptions = {}): { hashed: number } => {
  const hasColumn = db.prepare(`SELECT 1 FROM pragma_table_info('events') WHERE name = 'hash'`).get();
  if (!hasColumn) return { hashed: 0 };
  const head = db.prepare(`SELECT hash FROM events ORDER BY position DESC LIMIT 1`).pluck().get();
  if (head === undefined || head !== null) return { hashed: 0 };
  // The backfill runs in position order, so the newest event is the last to get its hash.
  const first = Position.parse(db.prepare(`SELECT min(position) FROM events WHERE hash IS NULL`).pluck().get());
  const total = Position.parse(db.prepare(`SELECT count(*) FROM events WHERE position >= ?`).pluck().get(first));
  const size = options.batchSize ?? BACKFILL_BATCH;
  const previous = db.prepare(`SELECT hash FROM events WHERE position < ? ORDER BY position DESC LIMIT 1`).pluck();
  const rows = db
    .prepare(`SELECT ${EVENT_COLUMNS}, hash FROM events WHERE position >= ? ORDER BY position LIMIT ?`)
    .raw();
  const update = db.prepare(`UPDATE events SET hash = ? WHERE position = ? AND hash IS NULL`);
  const batch = db.transaction((from: number): { hashed: number; next: number | undefined } => {
    const before: unknown = previous.get(from);
    let link = before === undefined ? GENESIS_HASH : OptionalHash.parse(before);
    if (link === null)
      throw new StoreError("CORRUPT_LOG", `the event before position ${from} has no chain hash`, { position: from });
    let hashed = 0;
    let last: number | undefined;
    const page = rows.all(from, size);
    for (const raw of page) {
      const row = fieldsOf(raw);
      const position = Position.parse(row[0]);
      const computed = chainHash(link, row);
      if (row[10] === null) {
        update.run(computed, position);
        hashed++;
      } else if (row[10] !== computed)
        throw new StoreError(
          "CORRUPT_LOG",
          `the event at position ${position} has a hash (${shortHash(row[10])}) that is not its place in the chain ` +
            `(${shortHash(computed)}): it was not written by this store; run \`${cliCommand("verify", db.name)}\``,
          { position },
        );
      link = computed;
      last = position;
    }
    return { hashed, next: page.length === size && last !== undefined ? last + 1 : undefined };
  });
  let done = 0;
  let next: number | undefined = first;
  while (next !== undefined) {
    const from: number = next;
    const result = withBusyRetry(() => batch.immediate(from));
    done += result.hashed;
    next = result.next;
    options.onProgress?.({ done, total: Math.max(total, done) });
  }
  return { hashed: done };
};

/**
 * Apply the pending dbmate migrations to a database (creating it if needed), then
 * finish what SQL alone cannot: the chain hashes of the events already in the log.
 * Last, `PRAGMA optimize`, which SQLite recommends after a schema change: the tables
 * with rows and an index without statistics are analyzed (best effort).
 * Everything that migrates a database goes through here (the CLI's `migrate`,
 * `openStore({ migrate: true })`, the migrated template of tests and replays).
 * @example migrateDatabase("data/ai_artist.db") // { hashed: 0 }
 */
export const migrateDatabase = (path: string, options: BackfillOptions = {}): { hashed: number } => {
  runDbmate(path, ["up"]);
  const db = openConnection(path);
  try {
    const result = backfillChain(db, options);
    optimizeBeforeClose(db, 1000);
    return result;
  } finally {
    db.close();
  }
};
