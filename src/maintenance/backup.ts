import { existsSync, readdirSync, renameSync, rmSync, statSync } from "node:fs";
import { basename, dirname, extname, join } from "node:path";
import { z } from "zod";
import { type Db, openConnection } from "../db/connection.js";
import { StoreError } from "../db/errors.js";
import { createFile, makeDirectory } from "../db/files.js";
import { integrityProblems } from "../db/integrity.js";
import { removeLeftoversOfDeadProcesses } from "../db/leftovers.js";
import { appliedMigrations } from "../db/migrations.js";
import { asDiskFailure, messageOf } from "../db/sqliteErrors.js";

/** How far a backup has copied, in database pages. */
export interface BackupProgress {
  totalPages: number;
  remainingPages: number;
}

/**
 * Where a backup goes, the time in its name, and a progress callback.
 * @example await backupDatabase(path, { dir: "/mnt/backups", onProgress: (p) => console.log(p.remainingPages) })
 */
export interface BackupOptions {
  /** Folder of the backups (default: `backups/` beside the database file). */
  dir?: string;
  /** The backup's time, in its name (default: now). */
  now?: Date;
  onProgress?: (progress: BackupProgress) => void;
}

/** The backup written: its file, size, pages and newest migration. */
export interface BackupResult {
  file: string;
  bytes: number;
  pages: number;
  /** Newest migration applied in the copy. */
  schemaVersion: string | null;
  /**
   * The copy's newest event and its chain hash (null for an empty log): note it
   * somewhere else, and `verify --expect-head POSITION:HASH` proves later that the
   * log still holds it (docs/reliability.md).
   */
  head: LogHead | null;
}

/** An event's position and its chain hash (null in a log from before the chain). */
export interface LogHead {
  position: number;
  hash: string | null;
}

const LogHeadRow = z.object({ position: z.number().int(), hash: z.string().nullable() }).optional();

/** The newest event of a database's log and its hash; null without a log or events. */
const logHead = (db: Db): LogHead | null => {
  const columns = new Set(
    z.array(z.string()).parse(db.prepare(`SELECT name FROM pragma_table_info('events')`).pluck().all()),
  );
  if (!columns.has("position")) return null;
  const hash = columns.has("hash") ? "hash" : "NULL AS hash";
  return (
    LogHeadRow.parse(db.prepare(`SELECT position, ${hash} FROM events ORDER BY position DESC LIMIT 1`).get()) ?? null
  );
};

/**
 * Where backups go unless told otherwise: a `backups` folder beside the database.
 * @example defaultBackupDir("data/ai_artist.db") // "data/backups"
 */
export const defaultBackupDir = (dbPath: string): string => join(dirname(dbPath), "backups");

const stem = (dbPath: string) => basename(dbPath, extname(dbPath));
const stamp = (t: Date) => t.toISOString().replaceAll(":", "-");

/** `ai_artist-2026-01-08T02-00-00.000Z.db`: the database's name and the UTC time, sortable as text. */
export const backupName = (dbPath: string, time: Date): string =>
  `${stem(dbPath)}-${stamp(time)}${extname(dbPath) || ".db"}`;

const NAME = /^(.+)-(\d{4}-\d{2}-\d{2})T(\d{2})-(\d{2})-(\d{2}(?:\.\d{3})?)Z(.*)$/;

/** The time in a backup's name, or undefined for a file that is not one of this database's backups. */
export const backupTime = (dbPath: string, name: string): Date | undefined => {
  const m = NAME.exec(name);
  if (!m || m[1] !== stem(dbPath) || m[6] !== (extname(dbPath) || ".db")) return undefined;
  const t = new Date(`${m[2]}T${m[3]}:${m[4]}:${m[5]}Z`);
  return Number.isNaN(t.getTime()) ? undefined : t;
};

/**
 * This database's backups in a folder, newest first.
 * @example listBackups("data/ai_artist.db") // [{ file: "data/backups/ai_artist-2026-01-08T02-00-00.000Z.db", time }]
 */
export const listBackups = (
  dbPath: string,
  dir = defaultBackupDir(dbPath),
): { file: string; name: string; time: Date }[] => {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .flatMap((name) => {
      const time = backupTime(dbPath, name);
      return time ? [{ file: join(dir, name), name, time }] : [];
    })
    .sort((a, b) => b.time.getTime() - a.time.getTime());
};

/**
 * An online, consistent copy through SQLite's backup API, safe while other
 * processes append: it copies a step of pages at a time, and when another
 * writer changes the database mid-copy SQLite restarts it; each restart grows
 * the step, so a busy database is finally copied in one step (one read
 * transaction, which in WAL mode never blocks writers). The copy is written
 * under a hidden temporary name, checked, then renamed: a half-written backup
 * never looks like a backup.
 * @example const { file } = await backupDatabase("data/ai_artist.db");
 */
export const backupDatabase = async (dbPath: string, options: BackupOptions = {}): Promise<BackupResult> => {
  if (!existsSync(dbPath))
    throw new StoreError("NOT_A_DATABASE", `database ${dbPath} does not exist: nothing to back up`, { path: dbPath });
  const dir = options.dir ?? defaultBackupDir(dbPath);
  const file = join(dir, backupName(dbPath, options.now ?? new Date()));
  if (existsSync(file)) throw new StoreError("BACKUP_FAILED", `backup ${file} already exists`, { file });
  // Opened before anything is created: a database that cannot be read leaves no folder behind.
  const db = openConnection(dbPath);
  // The copy is written under a hidden name that names this process: a backup killed
  // mid-copy leaves it (never under a backup's name), and the next backup removes it.
  const partial = join(dir, `.${basename(file)}.${process.pid}.partial`);
  try {
    makeDirectory(dir);
    removeLeftoversOfDeadProcesses(dir, /^\.[^/]+\.(\d+)\.partial(-journal|-wal|-shm)?$/);
    // Created here with the store's file mode: SQLite would create it world-readable.
    rmSync(partial, { force: true });
    createFile(partial);
  } catch (e) {
    db.close();
    throw asDiskFailure(e, partial, "the backup");
  }
  let pages = 0;
  try {
    let step = 256;
    let lastRemaining = Number.POSITIVE_INFINITY;
    const done = await db.backup(partial, {
      progress: (p) => {
        if (p.remainingPages > lastRemaining) step *= 4;
        lastRemaining = p.remainingPages;
        options.onProgress?.(p);
        return step;
      },
    });
    pages = done.totalPages;
    options.onProgress?.({ totalPages: pages, remainingPages: 0 });
  } catch (cause) {
    rmSync(partial, { force: true });
    throw new StoreError(
      "BACKUP_FAILED",
      `backup of ${dbPath} failed: ${messageOf(cause)}`,
      { path: dbPath },
      { cause },
    );
  } finally {
    db.close();
  }
  let schemaVersion: string | null;
  let head: LogHead | null;
  const copy = openConnection(partial);
  try {
    const problems = integrityProblems(copy, { quick: true });
    if (problems.length)
      throw new StoreError("BACKUP_FAILED", `backup copy of ${dbPath} fails quick_check: ${problems[0]}`, {
        path: dbPath,
        problems,
      });
    schemaVersion = appliedMigrations(copy).at(-1) ?? null;
    head = logHead(copy);
  } catch (e) {
    copy.close();
    rmSync(partial, { force: true });
    throw e;
  }
  copy.close();
  renameSync(partial, file);
  return { file, bytes: statSync(file).size, pages, schemaVersion, head };
};
