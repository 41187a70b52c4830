import Database from "better-sqlite3";
import { StoreError } from "./errors.js";

/**
 * The one place that understands caught errors. Every other module asks these
 * functions instead of casting what it caught.
 */

/** SQLite's extended result code (`SQLITE_CONSTRAINT_UNIQUE`, `SQLITE_BUSY_SNAPSHOT`, …) of an error from better-sqlite3, else undefined. */
export const sqliteCode = (e: unknown): string | undefined => (e instanceof Database.SqliteError ? e.code : undefined);

/** Whether `e` is an SQLite error whose extended code is `code` or one of its extensions (`SQLITE_BUSY` matches `SQLITE_BUSY_SNAPSHOT`). */
export const isSqliteError = (e: unknown, code: string): boolean => {
  const actual = sqliteCode(e);
  return actual !== undefined && (actual === code || actual.startsWith(`${code}_`));
};

/** The `code` of a Node system error (`ENOENT`, `ENOSPC`, `EPERM`, …), else undefined. */
export const errnoCode = (e: unknown): string | undefined =>
  e instanceof Error && "code" in e && typeof e.code === "string" ? e.code : undefined;

/** The `code` any error carries: SQLite's extended code or a Node system error's, else undefined. */
export const errorCode = (e: unknown): string | undefined => sqliteCode(e) ?? errnoCode(e);

/** The message of anything thrown, for a one-line report. */
export const messageOf = (e: unknown): string => (e instanceof Error ? e.message : String(e));

/**
 * SQLite's "the write did not reach the disk" failures as a StoreError naming the
 * file and the likely cause (SQLITE_FULL says "database or disk is full"; a file
 * over `ulimit -f` only says "disk I/O error"). Other errors pass through unchanged.
 * @example try { write() } catch (e) { throw asWriteFailure(e, store.path) }
 */
export const asWriteFailure = (e: unknown, path: string): unknown => {
  const code = sqliteCode(e) ?? "";
  if (code === "SQLITE_FULL")
    return new StoreError(
      "DISK_FULL",
      `cannot write to ${path}: the disk is full (SQLITE_FULL); nothing of this append was written: free space and retry`,
      { path, sqliteCode: code },
      { cause: e },
    );
  if (code.startsWith("SQLITE_IOERR"))
    return new StoreError(
      "DISK_IO_ERROR",
      `cannot write to ${path}: disk I/O error (${code}): ` +
        "the disk may be full, the file over a size limit (ulimit -f) or the device failing; nothing of this append was written",
      { path, sqliteCode: code },
      { cause: e },
    );
  return e;
};

/**
 * Codes that mean the disk is full: SQLite's SQLITE_FULL, the system's ENOSPC and EDQUOT,
 * and SQLITE_IOERR_SHMSIZE (the WAL index could not be given its size).
 */
export const diskIsFull = (code: string): boolean =>
  code === "SQLITE_FULL" || code === "ENOSPC" || code === "EDQUOT" || code === "SQLITE_IOERR_SHMSIZE";

/**
 * A failure to write a file other than the store's own (a scratch database, a copy
 * kept aside, a backup) as a StoreError saying what was being done: DISK_FULL when
 * `diskIsFull`, DISK_IO_ERROR for the other SQLITE_IOERR codes and EIO. Other errors pass through.
 * @example try { copy() } catch (e) { throw asDiskFailure(e, scratchPath, "rebuild's scratch database") }
 */
export const asDiskFailure = (failure: unknown, path: string, what: string): unknown => {
  // A disk failure already worded for another file (opening a connection) is worded again for this one.
  const e =
    failure instanceof StoreError && (failure.code === "DISK_FULL" || failure.code === "DISK_IO_ERROR")
      ? (failure.cause ?? failure)
      : failure;
  const code = errorCode(e) ?? "";
  if (e instanceof StoreError) return e;
  if (diskIsFull(code))
    return new StoreError(
      "DISK_FULL",
      `cannot write ${what} (${path}): the disk is full (${code}); the store was left as it was: free space and retry`,
      { path, code },
      { cause: e },
    );
  if (code.startsWith("SQLITE_IOERR") || code === "EIO")
    return new StoreError(
      "DISK_IO_ERROR",
      `cannot write ${what} (${path}): disk I/O error (${code}); the store was left as it was`,
      { path, code },
      { cause: e },
    );
  return e;
};

/** How often a write is retried after SQLITE_BUSY outlasted the busy timeout. */
const BUSY_RETRIES = 5;
const sleep = (ms: number) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);

/** Run a write transaction, retrying a bounded number of times if another writer held the lock past the busy timeout. */
export const withBusyRetry = <T>(write: () => T): T => {
  for (let attempt = 0; ; attempt++) {
    try {
      return write();
    } catch (e) {
      if (!isSqliteError(e, "SQLITE_BUSY")) throw e;
      if (attempt >= BUSY_RETRIES)
        throw new StoreError(
          "STORE_BUSY",
          `database stayed locked by another writer through ${BUSY_RETRIES + 1} busy timeouts`,
          {},
          { cause: e },
        );
      sleep(25 * 2 ** attempt + Math.random() * 25);
    }
  }
};

/**
 * Why a refresh of the planner's statistics (PRAGMA optimize, ANALYZE) did not run, as the SQLite
 * code that stopped it: any SQLite failure (a writer holding the lock, a read-only or full file)
 * leaves the statistics as they were, and the command that ran it succeeds. Anything else is a bug: rethrown.
 */
export const skippedStatistics = (e: unknown): string => {
  const code = sqliteCode(e);
  if (code === undefined) throw e;
  return code;
};
