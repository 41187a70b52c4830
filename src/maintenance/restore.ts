import { closeSync, copyFileSync, existsSync, fsyncSync, mkdirSync, openSync, renameSync, rmSync } from "node:fs";
import { basename, dirname, extname, join } from "node:path";
import { type Db, openConnection } from "../db/connection.js";
import { StoreError } from "../db/errors.js";
import { integrityProblems } from "../db/integrity.js";
import { migrationStatus } from "../db/migrations.js";

/** What a restore did: the live path, its backup, where the replaced database was kept, migrations still pending. */
export interface RestoreResult {
  /** The live database, now holding the backup's content. */
  path: string;
  from: string;
  /** Where the database it replaced was kept (null when there was none). */
  replacedKeptAt: string | null;
  /** Migrations the restored copy still needs (`artist-store migrate`). */
  pending: string[];
}

const SIDE_FILES = ["-wal", "-shm"] as const;
const removeWithSideFiles = (file: string) => {
  for (const f of [file, ...SIDE_FILES.map((s) => file + s)]) rmSync(f, { force: true });
};

const fsyncPath = (path: string) => {
  const fd = openSync(path, "r");
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
};

/** Check a candidate copy: a SQLite file that passes integrity_check and carries a schema this code knows. */
const verifyCopy = (copy: string, from: string): string[] => {
  let db: Db;
  try {
    db = openConnection(copy);
  } catch (cause) {
    throw new StoreError(
      "NOT_A_DATABASE",
      `backup ${from} is not a SQLite database (or is corrupt)`,
      { from },
      { cause },
    );
  }
  try {
    const problems = integrityProblems(db);
    if (problems.length)
      throw new StoreError(
        "CORRUPT_DATABASE",
        `backup ${from} fails integrity_check: ${problems[0]}${problems.length > 1 ? ` (and ${problems.length - 1} more)` : ""}`,
        { from, problems },
      );
    const status = migrationStatus(db);
    if (status.applied.length === 0)
      throw new StoreError("SCHEMA_MISSING", `backup ${from} has no ai-artist-store schema (no applied migrations)`, {
        from,
      });
    if (status.unknown.length)
      throw new StoreError(
        "UNKNOWN_MIGRATIONS",
        `backup ${from} has migrations this code does not know (${status.unknown.join(", ")}): its schema is newer than this version of ai-artist-store`,
        { from, unknown: status.unknown },
      );
    // Fold any WAL content into the file, so the rename below moves one complete file.
    db.pragma("wal_checkpoint(TRUNCATE)");
    return status.pending;
  } finally {
    db.close();
  }
};

/** Checkpoint the live database; true when no other process still has it open (no -wal/-shm left behind). */
const quiesceLive = (live: string): { readable: boolean; inUse: boolean } => {
  let readable = true;
  try {
    const db = openConnection(live);
    try {
      db.pragma("wal_checkpoint(TRUNCATE)");
    } finally {
      db.close();
    }
  } catch {
    // A corrupt live database is the usual reason to restore: it is moved aside as it is, side files and all.
    readable = false;
  }
  return { readable, inUse: readable && SIDE_FILES.some((s) => existsSync(live + s)) };
};

/**
 * Replace the live database with a backup, safely: the backup is copied to a
 * temporary file beside the live one and checked there (integrity_check,
 * schema version) before anything is touched; the live database is
 * checkpointed and kept aside under a `.replaced-<time>` name; then the checked
 * copy is renamed into place (atomic within one folder). Refuses while another
 * process holds the live database open.
 * @example restoreDatabase("data/backups/ai_artist-2026-01-08T02-00-00.000Z.db", "data/ai_artist.db")
 */
export const restoreDatabase = (
  from: string,
  live: string,
  { now = new Date() }: { now?: Date } = {},
): RestoreResult => {
  if (!existsSync(from)) throw new StoreError("NOT_A_DATABASE", `backup ${from} does not exist`, { from });
  const dir = dirname(live);
  mkdirSync(dir, { recursive: true });
  const temp = join(dir, `.${basename(live)}.restoring-${process.pid}`);
  removeWithSideFiles(temp);
  let pending: string[];
  try {
    copyFileSync(from, temp);
    // A backup someone opened may hold committed pages in its -wal: they belong to it.
    if (existsSync(`${from}-wal`)) copyFileSync(`${from}-wal`, `${temp}-wal`);
    pending = verifyCopy(temp, from);
    fsyncPath(temp);
  } catch (e) {
    removeWithSideFiles(temp);
    throw e;
  }

  let replacedKeptAt: string | null = null;
  if (existsSync(live)) {
    const state = quiesceLive(live);
    if (state.inUse) {
      removeWithSideFiles(temp);
      throw new StoreError(
        "DATABASE_IN_USE",
        `database ${live} is open in another process (its -wal/-shm files remain after a checkpoint): stop its writers and readers, then restore`,
        { path: live },
      );
    }
    const ext = extname(live);
    replacedKeptAt = join(dir, `${basename(live, ext)}.replaced-${now.toISOString().replaceAll(":", "-")}${ext}`);
    renameSync(live, replacedKeptAt);
    for (const s of SIDE_FILES) if (existsSync(live + s)) renameSync(live + s, replacedKeptAt + s);
  }
  renameSync(temp, live);
  fsyncPath(dir);
  return { path: live, from, replacedKeptAt, pending };
};
