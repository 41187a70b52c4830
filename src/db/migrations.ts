import { type SpawnSyncReturns, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { resolveBinary } from "dbmate";
import type { Db } from "./connection.js";
import { StoreError } from "./errors.js";
import { createFile, makeDirectory, unwritableFolder } from "./files.js";
import { cliCommand, migrationsDir, schemaFile } from "./paths.js";

/**
 * A URL that makes dbmate open exactly this file. A path of plain characters is written into the URL as it is; any
 * other (`?`, `%`, `#`, spaces, non-ASCII) would be read as a query or decoded by dbmate's driver, so dbmate is
 * pointed at a symlink with a plain name in a private folder instead: SQLite resolves it to the real file and keeps
 * the -wal and -shm beside that file.
 */
const dbmateUrl = (path: string): { url: string; dispose: () => void } => {
  if (/^\/[\w./@+=,-]*$/.test(path)) return { url: `sqlite:${path}`, dispose: () => {} };
  const dir = mkdtempSync(join(tmpdir(), "artist-store-dbmate-"));
  const link = join(dir, "database.db");
  symlinkSync(path, link);
  return { url: `sqlite:${link}`, dispose: () => rmSync(dir, { recursive: true, force: true }) };
};

export interface DbmateOptions {
  /** Write db/schema.sql after the command (only the project's own tooling wants this). */
  dumpSchema?: boolean;
  schemaFile?: string;
}

/**
 * Run dbmate with the project's migrations against one SQLite file.
 * @example runDbmate("/tmp/x.db", ["up"]);
 */
export const runDbmate = (path: string, args: readonly string[], options: DbmateOptions = {}): string => {
  const creates = args[0] === "up" || args[0] === "create" || args[0] === "migrate";
  if (creates && !existsSync(path)) {
    makeDirectory(dirname(path));
    // Created here, not by dbmate, to get the store's file mode; SQLite gives the -wal and -shm the same.
    createFile(path);
  }
  const unwritable = unwritableFolder(dirname(path));
  if (unwritable)
    throw new StoreError("READ_ONLY", `cannot migrate ${path}: ${unwritable} (SQLite writes ${path}-wal beside it)`, {
      path,
    });
  const { url, dispose } = dbmateUrl(path);
  const flags = ["--url", url, "--migrations-dir", migrationsDir];
  flags.push(...(options.dumpSchema ? ["--schema-file", options.schemaFile ?? schemaFile] : ["--no-dump-schema"]));
  let result: SpawnSyncReturns<string>;
  try {
    result = spawnSync(resolveBinary(), [...flags, ...args], { encoding: "utf8" });
  } finally {
    dispose();
  }
  if (result.error)
    throw new StoreError(
      "MIGRATION_FAILED",
      `dbmate could not run: ${result.error.message}`,
      { path },
      { cause: result.error },
    );
  if (result.status !== 0) {
    const reason = (result.stderr || result.stdout).trim().split("\n").pop() ?? "";
    throw new StoreError("MIGRATION_FAILED", `dbmate ${args.join(" ")} failed on ${path}: ${reason}`, {
      path,
      args: [...args],
    });
  }
  if (options.dumpSchema) withoutStatisticsTables(options.schemaFile ?? schemaFile);
  return result.stdout;
};

/**
 * Drop the statistics tables (sqlite_stat1, sqlite_stat4) from a schema dump: ANALYZE creates
 * them, not a migration, and a store refreshes them as it closes (src/db/statistics.ts), so a
 * dump of a live database equals the committed db/schema.sql.
 */
const withoutStatisticsTables = (file: string): void => {
  if (!existsSync(file)) return;
  const dump = readFileSync(file, "utf8");
  const kept = dump.replace(/^CREATE TABLE sqlite_stat\d\(.*\);\n/gm, "");
  if (kept !== dump) writeFileSync(file, kept);
};

/**
 * Create an empty migration `<version>_<name>.sql` in this package's db/migrations with dbmate, and return its name.
 * @example newMigration("create_consumers") // "20261129120000_create_consumers"
 */
export const newMigration = (name: string): string => {
  const before = new Set(migrationFiles().map((m) => m.name));
  const result = spawnSync(resolveBinary(), ["--migrations-dir", migrationsDir, "new", name], { encoding: "utf8" });
  const created = migrationFiles().find((m) => !before.has(m.name));
  if (result.status !== 0 || created === undefined)
    throw new StoreError("MIGRATION_FAILED", `dbmate new ${name} failed: ${(result.stderr || "").trim()}`, { name });
  return created.name;
};

/** Migration versions shipped with this code, oldest first. */
export const knownMigrations = (): string[] => migrationFiles().map((m) => m.version);

/** dbmate's migration file name: `<version>_<description>.sql`. */
const MIGRATION_FILE = /^(\d+)_.*\.sql$/;

/**
 * The migration files shipped with this code, oldest first: each one's version and its name without `.sql`.
 * @example migrationFiles()[0] // { version: "20260101000001", name: "20260101000001_create_event_log" }
 */
export const migrationFiles = (): { version: string; name: string }[] =>
  readdirSync(migrationsDir)
    .sort()
    .flatMap((file) => {
      const version = MIGRATION_FILE.exec(file)?.[1];
      return version === undefined ? [] : [{ version, name: file.slice(0, -".sql".length) }];
    });

/** Migration versions applied to a database, oldest first ([] when dbmate never ran). */
export const appliedMigrations = (db: Db): string[] => {
  const table = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'").get();
  if (!table) return [];
  return db
    .prepare("SELECT version FROM schema_migrations ORDER BY version")
    .pluck()
    .all()
    .map((v) => String(v));
};

export interface MigrationStatus {
  applied: string[];
  pending: string[];
  /** Applied to the database but unknown to this code: the database is newer. */
  unknown: string[];
}

export const migrationStatus = (db: Db): MigrationStatus => {
  const known = knownMigrations();
  const applied = appliedMigrations(db);
  return {
    applied,
    pending: known.filter((v) => !applied.includes(v)),
    unknown: applied.filter((v) => !known.includes(v)),
  };
};

/** Refuse a database that is behind or ahead of this code, naming the fix. */
export const assertSchemaCurrent = (db: Db, path: string): void => {
  const status = migrationStatus(db);
  if (status.unknown.length > 0)
    throw new StoreError(
      "UNKNOWN_MIGRATIONS",
      `database ${path} has migrations this code does not know (${status.unknown.join(", ")}): ` +
        "its schema is newer than this version of ai-artist-store; upgrade the code, " +
        "or roll the database back with an up-to-date copy of the code",
      { path, unknown: status.unknown },
    );
  if (status.applied.length === 0)
    throw new StoreError(
      "SCHEMA_MISSING",
      `database ${path} has no ai-artist-store schema: run \`${cliCommand("migrate", path)}\` (or openStore({ migrate: true }))`,
      { path },
    );
  if (status.pending.length > 0)
    throw new StoreError(
      "PENDING_MIGRATIONS",
      `database ${path} has ${status.pending.length} pending migration(s) (${status.pending.join(", ")}): ` +
        `run \`${cliCommand("migrate", path)}\` (or openStore({ migrate: true }))`,
      { path, pending: status.pending },
    );
};
