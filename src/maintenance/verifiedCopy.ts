import { existsSync, rmSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { z } from "zod";
import { type Db, openConnection } from "../db/connection.js";
import { StoreError } from "../db/errors.js";
import { copyFileBytes } from "../db/files.js";
import { integrityProblems } from "../db/integrity.js";
import { escapeForRegExp, removeLeftoversOfDeadProcesses } from "../db/leftovers.js";
import { migrationStatus, runDbmate } from "../db/migrations.js";
import { asDiskFailure, messageOf } from "../db/sqliteErrors.js";

/** A backup copied beside the live database, checked and brought to this code's schema: what a restore puts in. */
export interface VerifiedCopy {
  readonly path: string;
  /** Migrations applied to the copy because the backup predates them. */
  readonly migrated: string[];
  readonly pageSize: number;
  /** Delete the copy and its side files. */
  dispose(): void;
}

const SIDE_FILES = ["", "-wal", "-shm", "-journal"] as const;
const Int = z.number().int();

const withConnection = <T>(path: string, from: string, work: (db: Db) => T): T => {
  let db: Db;
  try {
    db = openConnection(path);
  } catch (cause) {
    throw new StoreError(
      "NOT_A_DATABASE",
      `backup ${from} is not a SQLite database (or is corrupt)`,
      { from },
      { cause },
    );
  }
  try {
    return work(db);
  } finally {
    db.close();
  }
};

/** integrity_check, a schema of this code's migrations or older; returns the migrations still to apply. */
const checkBackup = (db: Db, from: string): string[] => {
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
  // One self-contained file in WAL mode, as the live database is: the copy's pages go in as they are.
  db.pragma("wal_checkpoint(TRUNCATE)");
  if (db.pragma("journal_mode = WAL", { simple: true }) !== "wal")
    throw new StoreError("NOT_A_DATABASE", `backup ${from} cannot be put in WAL mode`, { from });
  return status.pending;
};

/** Give the copy the live database's page size: SQLite's backup API cannot copy into a WAL database across page sizes. */
const matchPageSize = (db: Db, pageSize: number): void => {
  if (Int.parse(db.pragma("page_size", { simple: true })) === pageSize) return;
  db.pragma("journal_mode = DELETE");
  db.pragma(`page_size = ${pageSize}`);
  db.exec("VACUUM");
  db.pragma("journal_mode = WAL");
};

/**
 * Copy a backup (with its -wal, if someone opened it) beside the live file under a
 * hidden name of this process, check it there (integrity_check, known migrations),
 * apply the migrations it predates with dbmate, and give it the live file's page size.
 * Nothing of the live database is touched; a failure deletes the copy.
 * @example const copy = prepareVerifiedCopy("backups/a-….db", "/srv/ai_artist.db", 4096); …; copy.dispose();
 */
export const prepareVerifiedCopy = (from: string, live: string, pageSize?: number): VerifiedCopy => {
  const dir = dirname(live);
  removeLeftoversOfDeadProcesses(
    dir,
    new RegExp(`^\\.${escapeForRegExp(basename(live))}\\.restoring-(\\d+)(-wal|-shm|-journal)?$`),
  );
  const path = join(dir, `.${basename(live)}.restoring-${process.pid}`);
  const dispose = () => {
    for (const s of SIDE_FILES) rmSync(path + s, { force: true });
  };
  dispose();
  try {
    copyFileBytes(from, path);
    if (existsSync(`${from}-wal`)) copyFileBytes(`${from}-wal`, `${path}-wal`);
    const migrated = withConnection(path, from, (db) => checkBackup(db, from));
    if (migrated.length > 0) {
      try {
        runDbmate(path, ["up"]);
      } catch (cause) {
        throw new StoreError(
          "MIGRATION_FAILED",
          `backup ${from} predates migrations ${migrated.join(", ")}, and migrating its copy failed: ${messageOf(cause)}`,
          { from, pending: migrated },
          { cause },
        );
      }
    }
    const actualPageSize = withConnection(path, from, (db) => {
      if (pageSize !== undefined) matchPageSize(db, pageSize);
      return Int.parse(db.pragma("page_size", { simple: true }));
    });
    return { path, migrated, pageSize: actualPageSize, dispose };
  } catch (e) {
    dispose();
    throw asDiskFailure(e, path, "the copy of the backup");
  }
};
