import { existsSync } from "node:fs";
import { z } from "zod";
import { type Db, openConnection } from "../db/connection.js";
import { StoreError } from "../db/errors.js";
import { migrationStatus } from "../db/migrations.js";
import { cliCommand } from "../db/paths.js";
import { isSqliteError, messageOf } from "../db/sqliteErrors.js";
import { chainHash, GENESIS_HASH, linkProblem } from "../events/chain.js";
import { EVENT_COLUMNS, fieldsOf } from "../events/readEvents.js";
import {
  type AddFinding,
  checkAnchor,
  checkEvent,
  checkIntegrity,
  checkStreams,
  compareSchema,
  logObjects,
  migratedLogObjects,
  type VerifyFinding,
} from "./verifyChecks.js";

export type { VerifyCheck, VerifyFinding } from "./verifyChecks.js";

/**
 * What verify read and found. `ok` when there is no finding.
 * @example const report = verifyDatabase("data/ai_artist.db"); if (!report.ok) process.exitCode = 1;
 */
export interface VerifyReport {
  path: string;
  ok: boolean;
  /** Events read. */
  events: number;
  /** The newest event and its stored hash (null for an empty log): the anchor to keep elsewhere. */
  head: { position: number; hash: string | null } | null;
  /** The log's AUTOINCREMENT counter (sqlite_sequence), 0 when it has none. */
  counter: number;
  /** The findings, in the order of the checks, up to `maxFindings`. */
  findings: VerifyFinding[];
  /** Findings past `maxFindings`, counted but not listed. */
  omitted: number;
  durationMs: number;
}

/**
 * What verify checks besides the log, where a given anchor must be, and a progress callback.
 * @example verifyDatabase(path, { expectHead: { position: 1042, hash: "3f…" }, integrity: "quick" })
 */
export interface VerifyOptions {
  /** A position and the hash it had when it was noted (a backup prints its head): the log must still hold it. */
  expectHead?: { position: number; hash: string };
  /** integrity_check ("full", the default), quick_check, or none (doctor runs its own). */
  integrity?: "full" | "quick" | "skip";
  /** Findings listed at most (all are counted). Default 1000. */
  maxFindings?: number;
  onProgress?: (progress: { done: number; total: number }) => void;
}

/** Events read per page of the walk: the log streams through, memory stays flat. */
const PAGE_SIZE = 1000;

/**
 * Check an open database: migrations, the log's schema objects against a freshly
 * migrated database, integrity, then one walk of the log page by page (flat
 * memory) for gapless positions, the chain and every event against its schema
 * (upcast, as the read path parses it), then the AUTOINCREMENT counter against the
 * head, the streams' rules, and the anchor if one is given. Reads only.
 * @example const report = verifyLog(db, path, { integrity: "skip" });
 */
export const verifyLog = (db: Db, path: string, options: VerifyOptions = {}): VerifyReport => {
  const started = performance.now();
  const max = options.maxFindings ?? 1000;
  const findings: VerifyFinding[] = [];
  let omitted = 0;
  const add: AddFinding = (finding) => {
    if (findings.length < max) findings.push(finding);
    else omitted++;
  };
  const report = (events: number, head: VerifyReport["head"], counter: number): VerifyReport => ({
    path,
    ok: findings.length + omitted === 0,
    events,
    head,
    counter,
    findings,
    omitted,
    durationMs: performance.now() - started,
  });

  const migrations = migrationStatus(db);
  const current = migrations.applied.length > 0 && migrations.pending.length + migrations.unknown.length === 0;
  if (migrations.pending.length)
    add({
      check: "migrations",
      object: "schema_migrations",
      message: `${migrations.pending.length} pending migration(s) (${migrations.pending.join(", ")}): run \`${cliCommand("migrate", path)}\``,
    });
  if (migrations.unknown.length)
    add({
      check: "migrations",
      object: "schema_migrations",
      message: `migrations unknown to this code (${migrations.unknown.join(", ")}): the database is newer than the code`,
    });

  const actual = logObjects(db);
  if (!actual.some((o) => o.type === "table" && o.name === "events")) {
    add({ check: "schema", object: "table events", message: "the event log (table events) is missing" });
    checkIntegrity(db, options.integrity ?? "full", add);
    return report(0, null, 0);
  }
  // Against another schema version the differences would only repeat the pending migrations.
  if (current) compareSchema(actual, migratedLogObjects(), add);
  checkIntegrity(db, options.integrity ?? "full", add);
  const hasHash = db.prepare(`SELECT 1 FROM pragma_table_info('events') WHERE name = 'hash'`).get() !== undefined;

  // One read transaction: the walk, the head, the counter and the streams all come from one snapshot.
  const walk = db.transaction(() => {
    const headRow = z
      .object({ position: z.number(), hash: z.string().nullable() })
      .optional()
      .parse(
        db
          .prepare(`SELECT position, ${hasHash ? "hash" : "NULL AS hash"} FROM events ORDER BY position DESC LIMIT 1`)
          .get(),
      );
    const head = headRow ?? null;
    const hasSequence = db.prepare(`SELECT 1 FROM sqlite_master WHERE name = 'sqlite_sequence'`).get() !== undefined;
    const counter = hasSequence
      ? z
          .number()
          .int()
          .parse(db.prepare(`SELECT coalesce(max(seq), 0) FROM sqlite_sequence WHERE name = 'events'`).pluck().get())
      : 0;
    const page = db
      .prepare(
        `SELECT ${EVENT_COLUMNS}, ${hasHash ? "hash" : "NULL"} FROM events WHERE position > ? ORDER BY position LIMIT ?`,
      )
      .raw();
    let events = 0;
    let expected = 1;
    let previous = GENESIS_HASH;
    let after = 0;
    for (;;) {
      const rows = page.all(after, PAGE_SIZE);
      for (const raw of rows) {
        const row = fieldsOf(raw);
        const position = z.number().int().parse(row[0]);
        if (position > expected)
          add({
            check: "positions",
            position: expected,
            message:
              position - 1 === expected
                ? `position ${expected} is missing (a gap before ${position})`
                : `positions ${expected}..${position - 1} are missing (a gap before ${position})`,
          });
        expected = position + 1;
        if (hasHash) {
          const computed = chainHash(previous, row);
          const problem = linkProblem(row, computed);
          if (problem) add({ check: "chain", position, message: `the event ${problem}` });
          previous = typeof row[10] === "string" ? row[10] : computed;
        }
        checkEvent(row, position, add);
        events++;
        after = position;
      }
      options.onProgress?.({ done: events, total: Math.max(events, head?.position ?? 0) });
      if (rows.length < PAGE_SIZE) break;
    }
    const headPosition = head?.position ?? 0;
    if (counter !== headPosition)
      add({
        check: "counter",
        object: "sqlite_sequence",
        message:
          `the log's AUTOINCREMENT counter is ${counter}, its newest event is at position ${headPosition}: ` +
          (counter > headPosition
            ? `positions ${headPosition + 1}..${counter} were given to events no longer in the log, or the counter was moved ` +
              `(the next append would take position ${counter + 1}, leaving a gap)`
            : "the counter was moved back (a later append would collide with a position in use)"),
      });
    checkStreams(db, add);
    if (options.expectHead) checkAnchor(db, hasHash, options.expectHead, add);
    return { events, head, counter };
  });
  try {
    const { events, head, counter } = walk();
    return report(events, head, counter);
  } catch (e) {
    // A log too damaged, or too foreign, to be read to its end is a finding, not a crash.
    const corrupt = isSqliteError(e, "SQLITE_CORRUPT") || isSqliteError(e, "SQLITE_NOTADB");
    if (!corrupt && !isSqliteError(e, "SQLITE_ERROR")) throw e;
    add({
      check: corrupt ? "integrity" : "schema",
      object: "table events",
      message: `the log cannot be read to its end: ${messageOf(e)}`,
    });
    return report(0, null, 0);
  }
};

/**
 * verifyLog on a database file, through a connection of its own.
 * @example const { ok, findings } = verifyDatabase("data/ai_artist.db");
 */
export const verifyDatabase = (path: string, options: VerifyOptions = {}): VerifyReport => {
  if (!existsSync(path))
    throw new StoreError("SCHEMA_MISSING", `database ${path} does not exist: nothing to verify`, { path });
  const db = openConnection(path);
  try {
    return verifyLog(db, path, options);
  } finally {
    db.close();
  }
};

/**
 * One line per finding: where, which check, what.
 * @example formatFinding({ check: "counter", object: "sqlite_sequence", message: "…" }) // "sqlite_sequence [counter]: …"
 */
export const formatFinding = (f: VerifyFinding): string =>
  `${f.position !== undefined ? `position ${f.position}` : (f.object ?? "database")} [${f.check}]: ${f.message}`;
