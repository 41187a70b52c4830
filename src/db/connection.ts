import { basename, dirname } from "node:path";
import Database from "better-sqlite3";
import { StoreError } from "./errors.js";
import { unwritableFolder } from "./files.js";
import { diskIsFull, messageOf, sqliteCode } from "./sqliteErrors.js";

export type Db = Database.Database;

/** Per-connection settings from the schema document, plus busy_timeout and foreign_keys. */
export const CONNECTION_PRAGMAS = {
  synchronous: "NORMAL",
  cache_size: -64000,
  temp_store: "MEMORY",
  busy_timeout: 5000,
  foreign_keys: "ON",
} as const;

export interface ConnectionOptions {
  readonly?: boolean;
  /** Milliseconds a connection waits for another writer before SQLITE_BUSY. */
  busyTimeoutMs?: number;
  /** Create the file if it does not exist (only dbmate and scratch databases should). */
  create?: boolean;
}

/**
 * Open one connection with the store's pragmas in force. The only place in the
 * code base that constructs a better-sqlite3 Database.
 * @example const db = openConnection("/tmp/x.db", { create: true });
 */
export const openConnection = (path: string, options: ConnectionOptions = {}): Db => {
  let db: Db;
  try {
    db = new Database(path, { readonly: options.readonly ?? false, fileMustExist: !(options.create ?? false) });
  } catch (cause) {
    throw (
      cannotOpen(path, cause) ??
      new StoreError("NOT_A_DATABASE", `cannot open database ${path}: ${messageOf(cause)}`, { path }, { cause })
    );
  }
  try {
    db.pragma(`busy_timeout = ${options.busyTimeoutMs ?? CONNECTION_PRAGMAS.busy_timeout}`);
    // The first statement that reads the header is where a non-SQLite file is found out.
    db.pragma(`synchronous = ${CONNECTION_PRAGMAS.synchronous}`);
    db.pragma(`cache_size = ${CONNECTION_PRAGMAS.cache_size}`);
    db.pragma(`temp_store = ${CONNECTION_PRAGMAS.temp_store}`);
    db.pragma(`foreign_keys = ${CONNECTION_PRAGMAS.foreign_keys}`);
    // Read-only twice over: the file is opened read-only, and the connection refuses any write statement.
    if (options.readonly) db.pragma("query_only = ON");
    db.prepare("SELECT count(*) FROM sqlite_master").get();
  } catch (cause) {
    db.close();
    const code = sqliteCode(cause);
    if (code === "SQLITE_NOTADB" || code === "SQLITE_CORRUPT")
      throw new StoreError(
        "NOT_A_DATABASE",
        `${path} is not a SQLite database (or is corrupt): ${messageOf(cause)}`,
        { path },
        { cause },
      );
    throw cannotOpen(path, cause) ?? cause;
  }
  return db;
};

/**
 * Why a database that exists cannot be opened, when the disk is the reason: in WAL
 * mode even a reader creates the -shm (and a writer the -wal) beside the database,
 * which a full disk or a folder that cannot be written refuses ("disk I/O error",
 * "unable to open database file").
 */
const cannotOpen = (path: string, cause: unknown): StoreError | undefined => {
  const code = sqliteCode(cause) ?? "";
  const sideFiles = `${basename(path)}-wal and ${basename(path)}-shm`;
  if (diskIsFull(code))
    return new StoreError(
      "DISK_FULL",
      `cannot open database ${path}: the disk is full (${code}): SQLite cannot set up ${sideFiles} beside it; free space and retry`,
      { path, sqliteCode: code },
      { cause },
    );
  if (code.startsWith("SQLITE_IOERR"))
    return new StoreError(
      "DISK_IO_ERROR",
      `cannot open database ${path}: disk I/O error (${code}) while SQLite set up ${sideFiles} beside it; ` +
        "the disk may be full or failing",
      { path, sqliteCode: code },
      { cause },
    );
  if (code !== "SQLITE_CANTOPEN" && !code.startsWith("SQLITE_READONLY")) return undefined;
  const why = unwritableFolder(dirname(path));
  if (!why) return undefined;
  return new StoreError(
    "READ_ONLY",
    `cannot open database ${path}: ${why}, and SQLite (WAL mode) must create ${basename(path)}-shm beside it even to read; ` +
      "mount it read-write, or copy the file to a writable folder",
    { path },
    { cause },
  );
};

/** The pragmas a connection actually has in force, for doctor and tests. */
export const readPragmas = (db: Db) => ({
  journal_mode: db.pragma("journal_mode", { simple: true }),
  synchronous: db.pragma("synchronous", { simple: true }),
  cache_size: db.pragma("cache_size", { simple: true }),
  temp_store: db.pragma("temp_store", { simple: true }),
  busy_timeout: db.pragma("busy_timeout", { simple: true }),
  foreign_keys: db.pragma("foreign_keys", { simple: true }),
});
