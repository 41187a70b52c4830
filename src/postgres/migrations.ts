import { spawnSync } from "node:child_process";
import { readdirSync } from "node:fs";
import { resolveBinary } from "dbmate";
import { StoreError } from "../db/errors.js";
import { postgresMigrationsDir } from "../db/paths.js";
import type { Pool } from "./connection.js";
import { asPostgresFailure } from "./pgErrors.js";
import { redactedUrl } from "./url.js";

/**
 * The URL dbmate is given: dbmate's driver (lib/pq) asks for TLS unless told otherwise, so a
 * URL that names no sslmode gets the one node-postgres uses by default (none).
 */
const dbmateUrl = (url: string): string =>
  /[?&]sslmode=/.test(url) ? url : `${url}${url.includes("?") ? "&" : "?"}sslmode=disable`;

/**
 * Run dbmate with the PostgreSQL migrations against the database `url` names.
 * @example runPostgresDbmate("postgres://owner@db/artist", ["up"]);
 */
export const runPostgresDbmate = (url: string, args: readonly string[]): string => {
  const flags = ["--url", dbmateUrl(url), "--migrations-dir", postgresMigrationsDir, "--no-dump-schema"];
  const result = spawnSync(resolveBinary(), [...flags, ...args], { encoding: "utf8" });
  const where = redactedUrl(url);
  if (result.error)
    throw new StoreError(
      "MIGRATION_FAILED",
      `dbmate could not run: ${result.error.message}`,
      { url: where },
      {
        cause: result.error,
      },
    );
  if (result.status !== 0) {
    const reason = (result.stderr || result.stdout).trim().split("\n").pop() ?? "";
    throw new StoreError("MIGRATION_FAILED", `dbmate ${args.join(" ")} failed on ${where}: ${reason}`, {
      url: where,
      args: [...args],
    });
  }
  return result.stdout;
};

/** PostgreSQL migration versions shipped with this code, oldest first. */
export const knownPostgresMigrations = (): string[] =>
  readdirSync(postgresMigrationsDir)
    .sort()
    .flatMap((f) => /^(\d+)_.*\.sql$/.exec(f)?.[1] ?? []);

/** Migration versions applied to the database, oldest first ([] when dbmate never ran). */
export const appliedPostgresMigrations = async (pool: Pool, url: string): Promise<string[]> => {
  try {
    const { rows } = await pool.query<{ version: string }>(
      `SELECT version FROM schema_migrations WHERE to_regclass('schema_migrations') IS NOT NULL ORDER BY version`,
    );
    return rows.map((r) => String(r.version));
  } catch (e) {
    // No schema_migrations table: dbmate never ran here.
    if (e instanceof Error && "code" in e && e.code === "42P01") return [];
    throw asPostgresFailure(e, url);
  }
};

/** Refuse a database whose migrations are behind, ahead of, or missing from this code's, naming the fix. */
export const assertPostgresSchemaCurrent = async (pool: Pool, url: string): Promise<void> => {
  const where = redactedUrl(url);
  const known = knownPostgresMigrations();
  const applied = await appliedPostgresMigrations(pool, url);
  const unknown = applied.filter((v) => !known.includes(v));
  const pending = known.filter((v) => !applied.includes(v));
  const fix = `run \`npx artist-store migrate --db ${where}\` (or openAsyncStore(url, { migrate: true }))`;
  if (unknown.length > 0)
    throw new StoreError(
      "UNKNOWN_MIGRATIONS",
      `database ${where} has migrations this code does not know (${unknown.join(", ")}): ` +
        "its schema is newer than this version of ai-artist-store; upgrade the code",
      { url: where, unknown },
    );
  if (applied.length === 0)
    throw new StoreError("SCHEMA_MISSING", `database ${where} has no ai-artist-store schema: ${fix}`, { url: where });
  if (pending.length > 0)
    throw new StoreError(
      "PENDING_MIGRATIONS",
      `database ${where} has ${pending.length} pending migration(s) (${pending.join(", ")}): ${fix}`,
      { url: where, pending },
    );
};
