import { hash } from "node:crypto";
import { z } from "zod";
import type { Db } from "../db/connection.js";
import { StoreError } from "../db/errors.js";
import { cliCommand } from "../db/paths.js";

/**
 * The "previous hash" of the first event of a log: 64 zeros.
 * @example chainHash(GENESIS_HASH, firstRow)
 */
export const GENESIS_HASH = "0".repeat(64);

/**
 * A point of the chain: an event's position and its hash (position 0 and GENESIS_HASH before the first event).
 * @example const link: ChainLink = { position: 0, hash: GENESIS_HASH };
 */
export interface ChainLink {
  position: number;
  hash: string;
}

/**
 * The hash of an event: sha256, as 64 lowercase hex digits, of the UTF-8 text
 * `JSON.stringify([previousHash, position, event_id, stream_id, stream_version, type,
 * schema_version, metadata, occurred_at, recorded_at])`, a newline, and `data`, every
 * column exactly as stored (metadata and data are the JSON text the log holds, not a
 * re-serialisation). JSON.stringify writes no raw newline, so the first one ends the
 * list; data goes after it unescaped, which halves the cost of hashing a large payload
 * (docs/performance.md). A row whose data is not text (only foreign code writes one)
 * hashes the list with data as its last element, and no newline.
 * `row` holds the columns in EVENT_COLUMNS order, as a `.raw()` row does; a column after
 * the tenth (the stored hash) is not hashed. Append, the chain's backfill, verify and
 * replay all hash through this one function.
 * @example chainHash(GENESIS_HASH, [1, "evt-1", "batch:b1", 1, "BatchStarted", 1, '{"batchId":"b1"}', "{}", t, t])
 */
export const chainHash = (previous: string, row: readonly unknown[]): string => {
  const data = row[6];
  return typeof data === "string"
    ? hash(
        "sha256",
        `${JSON.stringify([previous, row[0], row[1], row[2], row[3], row[4], row[5], row[7], row[8], row[9]])}\n${data}`,
      )
    : hash(
        "sha256",
        JSON.stringify([previous, row[0], row[1], row[2], row[3], row[4], row[5], row[7], row[8], row[9], data]),
      );
};

/** A stored hash, briefly: enough to tell two apart in a message. */
export const shortHash = (h: unknown): string => (typeof h === "string" ? `${h.slice(0, 12)}…` : "none");

/**
 * Why a row does not link to the chain, or undefined when it does: its stored hash
 * (`row[10]`) must be `computed`, the chainHash of the previous event's hash and its
 * columns. Phrased to follow "the event at position N".
 * @example const reason = linkProblem(row, chainHash(link.hash, row));
 */
export const linkProblem = (row: readonly unknown[], computed: string): string | undefined => {
  const stored = row[10];
  if (stored === computed) return undefined;
  if (stored === null || stored === undefined) return "has no chain hash";
  return (
    `does not match its stored hash (stored ${shortHash(stored)}, computed ${shortHash(computed)} from its columns ` +
    "and the previous event's hash): it was changed, inserted or moved after it was appended"
  );
};

/**
 * The log's guards, as the migrations create them: the triggers that keep it
 * append-only (no UPDATE, no DELETE, no INSERT OR REPLACE) and chained (no insert
 * without its hash). A store refuses to append to a log that lacks one.
 */
export const LOG_GUARDS = ["events_no_update", "events_no_delete", "events_no_replace", "events_chained"] as const;

const Names = z.array(z.string());

/**
 * The guards missing from a database's event log (by name: verify compares their SQL too).
 * @example missingGuards(db) // ["events_no_delete"] after DROP TRIGGER events_no_delete
 */
export const missingGuards = (db: Db): string[] => {
  const present = new Set(
    Names.parse(
      db.prepare(`SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'events'`).pluck().all(),
    ),
  );
  return LOG_GUARDS.filter((g) => !present.has(g));
};

/**
 * The refusal of an append (or a replay) on a log whose newest event has no hash
 * yet: the chain migration's backfill has not run to the end.
 * @example throw unchainedLog(db.name, 1042);
 */
export const unchainedLog = (path: string, position: number): StoreError =>
  new StoreError(
    "PENDING_MIGRATIONS",
    `the event log of ${path} is not chained yet (the event at position ${position} has no hash): ` +
      `run \`${cliCommand("migrate", path)}\` to compute the chain of the events already there`,
    { path, position },
  );

/**
 * The refusal of a replay at the first event that breaks the chain: rebuild and audit never adopt it.
 * @example throw brokenChain(db.name, 42, "has no chain hash");
 */
export const brokenChain = (path: string, position: number, reason: string): StoreError =>
  new StoreError(
    "CORRUPT_LOG",
    `event at position ${position} breaks the log's chain: it ${reason}; nothing was adopted from it: ` +
      `run \`${cliCommand("verify", path)}\` for every finding, and restore a backup that verifies`,
    { path, position, reason },
  );
