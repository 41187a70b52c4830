import { z } from "zod";
import type { Db } from "./connection.js";
import { skippedStatistics } from "./sqliteErrors.js";
import { quote } from "./tableInfo.js";

/**
 * The planner's statistics (sqlite_stat1, and sqlite_stat4 in better-sqlite3's build), kept
 * as SQLite's documentation of `PRAGMA optimize` recommends (https://sqlite.org/pragma.html#pragma_optimize):
 * a short-lived connection runs `PRAGMA optimize` just before it closes, a long-lived one
 * `PRAGMA optimize=0x10002` when it opens and `PRAGMA optimize` periodically, and every
 * connection after a schema change. Statistics are a help to the planner, never data:
 * each refresh is best effort, and a busy, read-only or full database leaves them as they were.
 */

/**
 * Rows ANALYZE examines per index when this code runs it (SQLITE_DEFAULT_OPTIMIZE_LIMIT, what
 * `PRAGMA optimize` itself uses): the write lock it holds does not grow with the tables.
 */
export const ANALYSIS_LIMIT = 2000;

/** How often a long-lived connection runs `PRAGMA optimize` (SQLite's documentation: once an hour to once a day). */
export const REFRESH_INTERVAL_MS = 3_600_000;

/** The statistics tables ANALYZE creates: SQLite's, not the schema's (schema dumps and snapshots leave them out). */
export const STATISTICS_TABLES = ["sqlite_stat1", "sqlite_stat4"] as const;

/** What a refresh did: `ran`, or the SQLite code that stopped it (SQLITE_BUSY, SQLITE_READONLY, …). */
export type Refresh = { ran: true } | { ran: false; skipped: string };

/** Whether this connection may write: not opened read-only (by request or by the file's mode), not query_only. */
export const canWrite = (db: Db): boolean => !db.readonly && db.pragma("query_only", { simple: true }) === 0;

/**
 * Run `sql` with `busy_timeout` shortened to `busyTimeoutMs`: a refresh never waits out the
 * busy timeout behind a writer, it gives way (the next one catches up).
 */
const bestEffort = (db: Db, sql: string, busyTimeoutMs: number): Refresh => {
  if (!db.open || !canWrite(db)) return { ran: false, skipped: "SQLITE_READONLY" };
  if (db.inTransaction) return { ran: false, skipped: "IN_TRANSACTION" };
  const timeout = db.pragma("busy_timeout", { simple: true });
  db.pragma(`busy_timeout = ${busyTimeoutMs}`);
  try {
    db.exec(sql);
    return { ran: true };
  } catch (e) {
    return { ran: false, skipped: skippedStatistics(e) };
  } finally {
    db.pragma(`busy_timeout = ${Number(timeout)}`);
  }
};

/**
 * `PRAGMA optimize`: what a connection runs before it closes and after a schema change. It
 * analyzes (within ANALYSIS_LIMIT rows per index) only the tables that have rows and an index
 * without statistics, or whose statistics this connection used and whose size changed tenfold.
 * @example optimizeBeforeClose(db); db.close();
 */
export const optimizeBeforeClose = (db: Db, busyTimeoutMs = 0): Refresh =>
  bestEffort(db, "PRAGMA optimize", busyTimeoutMs);

/**
 * `PRAGMA optimize=0x10002` under ANALYSIS_LIMIT: what a long-lived connection runs when it
 * opens, looking at every table, not only those it has used.
 * @example refreshStatistics(store.db)
 */
export const refreshStatistics = (db: Db, busyTimeoutMs = 0): Refresh =>
  withAnalysisLimit(db, () => bestEffort(db, "PRAGMA optimize=0x10002", busyTimeoutMs));

/**
 * ANALYZE these tables (within ANALYSIS_LIMIT rows per index), as rebuild does for the tables it swapped in.
 * @example analyzeTables(db, ["generated_images"])
 */
export const analyzeTables = (db: Db, tables: readonly string[], busyTimeoutMs = 0): Refresh =>
  withAnalysisLimit(db, () =>
    bestEffort(db, tables.map((t) => `ANALYZE main.${quote(t)};`).join("\n") || "SELECT 1", busyTimeoutMs),
  );

const withAnalysisLimit = <T>(db: Db, work: () => T): T => {
  if (!db.open) return work();
  const limit = Number(db.pragma("analysis_limit", { simple: true }));
  db.pragma(`analysis_limit = ${ANALYSIS_LIMIT}`);
  try {
    return work();
  } finally {
    db.pragma(`analysis_limit = ${limit}`);
  }
};

/**
 * Keep a long-lived connection's statistics fresh: `refreshStatistics` now, then `PRAGMA optimize`
 * every `intervalMs` on an unref'd timer (it never keeps the process alive). Returns the stop.
 * `connection` gives the connection to refresh each time (a read-only store opens a writable one).
 * SQLite loads statistics with the schema and ANALYZE does not change the schema: a refresh
 * reaches the connection that ran it and connections opened after it, not others already open.
 * @example const stop = keepStatisticsFresh(() => ({ db, done: () => {} })); … stop();
 */
export const keepStatisticsFresh = (
  connection: () => { db: Db; done: () => void } | undefined,
  { intervalMs = REFRESH_INTERVAL_MS, now = true }: { intervalMs?: number; now?: boolean } = {},
): (() => void) => {
  const run = (refresh: (db: Db) => Refresh) => {
    const c = connection();
    if (!c) return;
    try {
      refresh(c.db);
    } finally {
      c.done();
    }
  };
  if (now) run((db) => refreshStatistics(db));
  const timer = setInterval(() => run((db) => optimizeBeforeClose(db)), intervalMs);
  timer.unref();
  return () => clearInterval(timer);
};

const StatRow = z.object({ tbl: z.string(), idx: z.string().nullable() });
const IndexName = z.array(z.string());

/** A table that has rows and indexes without statistics. */
export interface MissingStatistics {
  table: string;
  indexes: string[];
}

/**
 * The tables among `tables` that have rows and an index sqlite_stat1 has no entry for: the
 * tables `PRAGMA optimize` would analyze unasked. An empty table needs none.
 * @example missingStatistics(db, ["generated_images"]) // [{ table: "generated_images", indexes: ["idx_status", …] }]
 */
export const missingStatistics = (db: Db, tables: readonly string[]): MissingStatistics[] => {
  const hasStat1 = db.prepare(`SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'sqlite_stat1'`).get();
  const analyzed = new Set(
    hasStat1
      ? db
          .prepare(`SELECT tbl, idx FROM sqlite_stat1`)
          .all()
          .map((r) => StatRow.parse(r))
          .map((r) => `${r.tbl}\u0000${r.idx ?? ""}`)
      : [],
  );
  return tables.flatMap((table) => {
    if (!db.prepare(`SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?`).get(table)) return [];
    if (!db.prepare(`SELECT 1 FROM ${quote(table)} LIMIT 1`).get()) return [];
    const indexes = IndexName.parse(
      db.prepare(`SELECT name FROM pragma_index_list(?) ORDER BY name`).pluck().all(table),
    );
    const missing = indexes.filter((ix) => !analyzed.has(`${table}\u0000${ix}`));
    return missing.length ? [{ table, indexes: missing }] : [];
  });
};

const Planned = z.array(z.tuple([z.string()]));

/**
 * `PRAGMA optimize=0x10002` under ANALYSIS_LIMIT, not best effort (what `artist-store optimize`
 * runs): errors reach the caller. Returns the tables it analyzed, as optimize's debug mode names them.
 * @example analyzeWhereNeeded(db) // ["events", "generated_images"]
 */
export const analyzeWhereNeeded = (db: Db): string[] =>
  withAnalysisLimit(db, () => {
    const planned = Planned.parse(db.prepare("PRAGMA optimize=0x10003").raw().all()).map(([sql]) =>
      sql.replace(/^ANALYZE "main"\."(.*)"$/, "$1").replaceAll('""', '"'),
    );
    db.exec("PRAGMA optimize=0x10002");
    return planned;
  });
