import type { StoredEvent } from "../events/envelope.js";
import type { EventFilter } from "../events/queryEvents.js";
import { EVENT_COLUMNS, parseEventRow } from "../events/readEvents.js";
import { openPool, type Pool } from "./connection.js";
import { appliedPostgresMigrations, knownPostgresMigrations } from "./migrations.js";
import { asPostgresFailure } from "./pgErrors.js";
import { POSTGRES_LOG_GUARDS as GUARDS, POSTGRES_PROJECTIONS, postgresFingerprint } from "./projections.js";

/** Run fn on a pool of one connection to `url`, every failure one StoreError, the pool closed after. */
export const withPool = async <T>(url: string, fn: (pool: Pool) => Promise<T>): Promise<T> => {
  const pool = openPool(url, 1);
  try {
    return await fn(pool);
  } catch (e) {
    throw asPostgresFailure(e, url);
  } finally {
    await pool.end();
  }
};

/**
 * Applied, pending and unknown PostgreSQL migrations of a database.
 * @example const { pending } = await postgresMigrationStatus(url);
 */
export const postgresMigrationStatus = (url: string) =>
  withPool(url, async (pool) => {
    const known = knownPostgresMigrations();
    const applied = await appliedPostgresMigrations(pool, url);
    return {
      applied,
      pending: known.filter((v) => !applied.includes(v)),
      unknown: applied.filter((v) => !known.includes(v)),
    };
  });

/**
 * The log filtered as queryEvents filters a SQLite log, in position order (held in memory: bound it with `limit`).
 * @example await queryPostgresEvents(url, { types: ["ImageCurated"], limit: 100 })
 */
export const queryPostgresEvents = (url: string, filter: EventFilter = {}): Promise<StoredEvent[]> =>
  withPool(url, async (pool) => {
    const values: unknown[] = [filter.after ?? 0];
    const where = ["position > $1"];
    const add = (sql: (n: string) => string, value: unknown) => {
      values.push(value);
      where.push(sql(`$${values.length}`));
    };
    if (filter.streamId !== undefined) add((p) => `stream_id = ${p}`, filter.streamId);
    if (filter.types && filter.types.length > 0) add((p) => `type = ANY(${p}::text[])`, filter.types);
    if (filter.to !== undefined) add((p) => `position <= ${p}`, filter.to);
    if (filter.since !== undefined) add((p) => `occurred_at >= ${p}`, filter.since);
    if (filter.until !== undefined) add((p) => `occurred_at < ${p}`, filter.until);
    values.push(filter.limit ?? null);
    const text = `SELECT ${EVENT_COLUMNS} FROM events WHERE ${where.join(" AND ")} ORDER BY position LIMIT $${values.length}`;
    return (await pool.query({ text, values, rowMode: "array" })).rows.map(parseEventRow);
  });

/** One check of doctor on PostgreSQL. */
export interface PostgresCheck {
  check: string;
  ok: boolean;
  detail: string;
}

/**
 * What doctor checks on a PostgreSQL store: the server answers, the migrations are current, the
 * log's guard triggers and the application role are there, every projection is in step with the log.
 * @example (await postgresDoctor(url)).every((c) => c.ok)
 */
export const postgresDoctor = (url: string): Promise<PostgresCheck[]> =>
  withPool(url, async (pool) => {
    const checks: PostgresCheck[] = [];
    const version = (await pool.query<{ v: string }>(`SELECT current_setting('server_version') AS v`)).rows[0]?.v;
    checks.push({ check: "server", ok: true, detail: `PostgreSQL ${version}` });
    const known = knownPostgresMigrations();
    const applied = await appliedPostgresMigrations(pool, url);
    const pending = known.filter((v) => !applied.includes(v));
    const unknown = applied.filter((v) => !known.includes(v));
    checks.push({
      check: "migrations",
      ok: pending.length === 0 && unknown.length === 0,
      detail:
        pending.length + unknown.length === 0
          ? `${applied.length} applied, none pending`
          : `${pending.length} pending (${pending.join(", ")}), ${unknown.length} unknown (${unknown.join(", ")})`,
    });
    if (applied.length === 0) return checks;
    const triggers = (
      await pool.query<{ name: string }>(
        `SELECT tgname AS name FROM pg_trigger WHERE tgrelid = to_regclass('events') AND NOT tgisinternal`,
      )
    ).rows.map((r) => r.name);
    const missing = GUARDS.filter((g) => !triggers.includes(g));
    checks.push({
      check: "log guards",
      ok: missing.length === 0,
      detail: missing.length === 0 ? GUARDS.join(", ") : `missing ${missing.join(", ")}: the log is not append-only`,
    });
    const grants = (
      await pool.query<{ p: string }>(
        `SELECT privilege_type AS p FROM information_schema.role_table_grants
         WHERE table_name = 'events' AND grantee = 'artist_store_app' ORDER BY 1`,
      )
    ).rows.map((r) => r.p);
    checks.push({
      check: "application role",
      ok: grants.join(",") === "INSERT,SELECT",
      detail: `artist_store_app on events: ${grants.join(", ") || "nothing"} (expected INSERT, SELECT)`,
    });
    const head = Number((await pool.query(`SELECT coalesce(max(position), 0) AS h FROM events`)).rows[0]?.h ?? 0);
    const state = new Map(
      (
        await pool.query<{ projection: string; fingerprint: string; position: number }>(
          `SELECT * FROM projection_state`,
        )
      ).rows.map((r) => [r.projection, r]),
    );
    for (const name of POSTGRES_PROJECTIONS) {
      const row = state.get(name);
      const problem = !row
        ? "no record of the code that built it"
        : row.fingerprint !== postgresFingerprint(name)
          ? "built by other projection code"
          : row.position !== head
            ? `at log position ${row.position}, the log is at ${head}`
            : undefined;
      checks.push({ check: `projection ${name}`, ok: problem === undefined, detail: problem ?? `fresh at ${head}` });
    }
    return checks;
  });
