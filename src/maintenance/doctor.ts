import { existsSync, statSync } from "node:fs";
import { z } from "zod";
import { type ConsumerStatus, consumerStatuses } from "../consumers/status.js";
import { CONNECTION_PRAGMAS, type Db, openConnection, readPragmas } from "../db/connection.js";
import { type DamageMark, markDamaged, readDamageMark } from "../db/damage.js";
import { StoreError } from "../db/errors.js";
import { integrityProblems } from "../db/integrity.js";
import { type MigrationStatus, migrationStatus } from "../db/migrations.js";
import { cliCommand } from "../db/paths.js";
import { messageOf } from "../db/sqliteErrors.js";
import { type MissingStatistics, missingStatistics } from "../db/statistics.js";
import { quote, tableNames } from "../db/tableInfo.js";
import { prepareHeadPosition } from "../events/readEvents.js";
import { PROJECTIONS } from "../projections/index.js";
import { createProjectionState, describeStale, type ProjectionStatus } from "../projections/projectionState.js";
import { QUERY_NAMES, QUERY_SQL } from "../queries/index.js";
import { formatFinding, type VerifyOptions, type VerifyReport, verifyLog } from "./verify.js";

export interface IndexInfo {
  table: string;
  name: string;
  columns: string[];
  unique: boolean;
  /** c: CREATE INDEX, u: a UNIQUE constraint, pk: the primary key. */
  origin: string;
}

export interface QueryPlan {
  query: string;
  /** EXPLAIN QUERY PLAN, one line per step, indented by depth. */
  plan: string[];
  warnings: string[];
}

/**
 * What diagnose found (files, tables, pragmas, migrations, projections, integrity, plans) and the problems among it.
 * @example if (diagnose("data/ai_artist.db").problems.length > 0) process.exitCode = 1;
 */
export interface DoctorReport {
  path: string;
  files: { databaseBytes: number; walBytes: number; shmBytes: number };
  pages: { pageSize: number; pageCount: number; freelistCount: number };
  tables: { name: string; rows: number }[];
  pragmas: { inForce: Record<string, unknown>; expected: Record<string, unknown> };
  migrations: MigrationStatus;
  logHead: number | null;
  /** Each projection's checkpoint against the log head (empty before the projection_state migration). */
  projections: ProjectionStatus[];
  /** Each consumer's checkpoint, lag and lease (a problem when it lags past the thresholds). */
  consumers: ConsumerStatus[];
  integrity: string[];
  /** What verify finds in the log (its chain, positions, counter, schema objects, events), integrity and migrations aside. */
  log: Pick<VerifyReport, "events" | "head" | "counter" | "findings" | "omitted">;
  /** The mark of a database found damaged (appends refused), or null. */
  damaged: DamageMark | null;
  indexes: IndexInfo[];
  queryPlans: QueryPlan[];
  /**
   * The planner's statistics for the tables the documented queries read: `missing` lists those
   * with rows and an index sqlite_stat1 has no entry for (a warning, fixed by `artist-store optimize`).
   */
  statistics: { tables: string[]; missing: MissingStatistics[] };
  /** Things that are wrong (exit code 1). */
  problems: string[];
  /** Things worth a look (exit code 0). */
  warnings: string[];
}

/** The tables the store cannot work without: the log, the checkpoints, the migrations, every projection's. */
const REQUIRED_TABLES = [
  "events",
  "projection_state",
  "schema_migrations",
  ...Object.values(PROJECTIONS).flatMap((p) => p.tables),
];

const sizeOf = (file: string) => (existsSync(file) ? statSync(file).size : 0);
const PlanRow = z.object({ id: z.number(), parent: z.number(), detail: z.string() });
const IndexListRow = z.object({ name: z.string(), unique: z.number(), origin: z.string() });
const IndexColumnRow = z.object({ name: z.string().nullable(), key: z.number() });

/** Every table's row count: the schema document's "table statistics" counted one table only. */
const tableRows = (db: Db) =>
  tableNames(db).map((name) => ({
    name,
    rows: z.number().parse(
      db
        .prepare(`SELECT count(*) FROM ${quote(name)}`)
        .pluck()
        .get(),
    ),
  }));

const indexesOf = (db: Db): IndexInfo[] =>
  tableNames(db).flatMap((table) =>
    db
      .prepare(`SELECT name, "unique", origin FROM pragma_index_list(?) ORDER BY name`)
      .all(table)
      .map((r) => IndexListRow.parse(r))
      .map((ix) => ({
        table,
        name: ix.name,
        unique: ix.unique === 1,
        origin: ix.origin,
        columns: db
          .prepare("SELECT name, key FROM pragma_index_xinfo(?) ORDER BY seqno")
          .all(ix.name)
          .map((c) => IndexColumnRow.parse(c))
          .filter((c) => c.key === 1)
          .map((c) => c.name ?? "<expression>"),
      })),
  );

/**
 * Tables whose size the schema bounds, so a scan or a sort of them costs nothing whatever the log's size:
 * quality_tiers holds one row per tier, and its CHECK allows four tiers.
 */
const BOUNDED_TABLES = new Set(["quality_tiers"]);

/** The tables a plan reads, by the names its steps give them. */
const tablesIn = (details: readonly string[]): string[] =>
  details.flatMap((d) => /^(?:SCAN|SEARCH) (\w+)/.exec(d)?.[1] ?? []);

/**
 * EXPLAIN QUERY PLAN of one query, with a warning for a full table scan or a temporary B-tree, unless every table
 * the query reads is bounded by the schema.
 */
export const explainQuery = (db: Db, query: string, sql: string): QueryPlan => {
  const rows = db
    .prepare(`EXPLAIN QUERY PLAN ${sql}`)
    .all({ minScore: 7, limit: 10 })
    .map((r) => PlanRow.parse(r));
  const depth = new Map<number, number>([[0, -1]]);
  const plan = rows.map((r) => {
    const d = (depth.get(r.parent) ?? -1) + 1;
    depth.set(r.id, d);
    return `${"  ".repeat(d)}${r.detail}`;
  });
  const bounded = tablesIn(rows.map((r) => r.detail)).every((t) => BOUNDED_TABLES.has(t));
  const warnings = rows.flatMap((r) => {
    if (bounded) return [];
    if (/^SCAN /.test(r.detail) && !/ USING (COVERING )?INDEX /.test(r.detail))
      return [`${query}: full table scan (${r.detail})`];
    if (r.detail.startsWith("USE TEMP B-TREE")) return [`${query}: temporary B-tree (${r.detail})`];
    return [];
  });
  return { query, plan, warnings };
};

/** The tables the documented queries read (from their plans), and those of them without statistics. */
const queryStatistics = (db: Db, plans: readonly QueryPlan[]) => {
  const tables = [...new Set(plans.flatMap((p) => tablesIn(p.plan.map((line) => line.trim()))))].sort();
  return { tables, missing: missingStatistics(db, tables) };
};

/**
 * Everything an operator checks on a sick or slow database (the schema
 * document's Monitoring and Troubleshooting sections), in one report.
 * @example const report = diagnose("data/ai_artist.db"); report.problems // []
 */
export const diagnose = (
  path: string,
  {
    quick = false,
    maxConsumerLag = 10_000,
    maxConsumerAgeSeconds = 3600,
    onProgress,
  }: {
    quick?: boolean;
    maxConsumerLag?: number;
    maxConsumerAgeSeconds?: number;
    /** The walk of the log (the part of the checks that grows with it), as verify reports it. */
    onProgress?: VerifyOptions["onProgress"];
  } = {},
): DoctorReport => {
  if (!existsSync(path))
    throw new StoreError("SCHEMA_MISSING", `database ${path} does not exist: run \`${cliCommand("migrate", path)}\``, {
      path,
    });
  const db = openConnection(path);
  try {
    const problems: string[] = [];
    const warnings: string[] = [];
    const inForce = readPragmas(db);
    const expected = {
      journal_mode: "wal",
      synchronous: 1,
      cache_size: CONNECTION_PRAGMAS.cache_size,
      temp_store: 2,
      busy_timeout: CONNECTION_PRAGMAS.busy_timeout,
      foreign_keys: 1,
    };
    const actual: Record<string, unknown> = inForce;
    for (const [name, value] of Object.entries(expected))
      if (actual[name] !== value) problems.push(`pragma ${name} is ${String(actual[name])}, expected ${value}`);
    const migrations = migrationStatus(db);
    if (migrations.applied.length === 0) problems.push(`no migrations applied: run \`${cliCommand("migrate", path)}\``);
    else if (migrations.pending.length)
      problems.push(
        `${migrations.pending.length} pending migration(s) (${migrations.pending.join(", ")}): run \`${cliCommand("migrate", path)}\``,
      );
    if (migrations.unknown.length)
      problems.push(
        `migrations unknown to this code (${migrations.unknown.join(", ")}): the database is newer than the code`,
      );
    const tables = tableRows(db);
    // A table the migrations create but the file lacks (a DROP TABLE by hand) is reported; nothing that reads it runs.
    const missing =
      migrations.applied.length > 0 ? REQUIRED_TABLES.filter((t) => !tables.some((r) => r.name === t)) : [];
    for (const table of missing)
      problems.push(
        `table ${table} is missing (its migrations created it): restore the database from a backup (\`${cliCommand("restore <backup>", path)}\`)`,
      );
    // The projections' and queries' SQL only prepares against the schema it was written for.
    const current =
      migrations.applied.length > 0 &&
      migrations.pending.length === 0 &&
      migrations.unknown.length === 0 &&
      missing.length === 0;
    const hasLog = tables.some((t) => t.name === "events");
    const logHead = hasLog ? prepareHeadPosition(db)() : null;
    const projections = current ? createProjectionState(db).status() : [];
    const stale = describeStale(path, projections);
    if (stale) problems.push(stale);
    const consumers = current ? consumerStatuses(db) : [];
    for (const c of consumers)
      if (c.lagEvents > maxConsumerLag || c.lagSeconds > maxConsumerAgeSeconds)
        problems.push(
          `consumer ${c.name} lags: ${c.lagEvents} event(s) behind the head (${c.head}), the oldest recorded ` +
            `${Math.round(c.lagSeconds)} s ago (thresholds ${maxConsumerLag} events, ${maxConsumerAgeSeconds} s): ` +
            `is it running? (\`${cliCommand("consumers", path)}\`)`,
        );
    const integrity = integrityProblems(db, { quick });
    const check = quick ? "quick_check" : "integrity_check";
    // A file that fails the check is not appended to from now on (src/db/damage.ts): mark it.
    if (integrity.length) markDamaged(path, `${check}: ${integrity[0]}`, "doctor");
    const damaged = readDamageMark(path) ?? null;
    if (integrity.length)
      problems.push(`${check}: ${integrity[0]}${integrity.length > 1 ? ` (and ${integrity.length - 1} more)` : ""}`);
    if (damaged)
      problems.push(
        `the database is marked damaged (${damaged.by} at ${damaged.time}: ${damaged.reason}): appends are refused ` +
          `until it is restored from a backup (\`${cliCommand("restore <backup>", path)}\`)`,
      );
    // verify's own migration and integrity findings would repeat the checks above, and so would a missing log.
    const verified = hasLog
      ? verifyLog(db, path, { integrity: "skip", onProgress })
      : { events: 0, head: null, counter: 0, findings: [], omitted: 0 };
    const log = {
      events: verified.events,
      head: verified.head,
      counter: verified.counter,
      findings: verified.findings.filter((f) => f.check !== "migrations"),
      omitted: verified.omitted,
    };
    problems.push(...log.findings.map((f) => `log: ${formatFinding(f)}`));
    if (log.omitted) problems.push(`log: … and ${log.omitted} more finding(s): run \`${cliCommand("verify", path)}\``);
    const queryPlans = (current ? QUERY_NAMES : []).flatMap((q) => {
      try {
        return [explainQuery(db, q, QUERY_SQL[q])];
      } catch (e) {
        problems.push(`${q}: cannot be planned: ${messageOf(e)}`);
        return [];
      }
    });
    warnings.push(...queryPlans.flatMap((p) => p.warnings));
    const statistics = queryStatistics(db, queryPlans);
    for (const m of statistics.missing)
      warnings.push(
        `no planner statistics for ${m.table} (${m.indexes.join(", ")}): the query planner guesses; ` +
          `run \`${cliCommand("optimize", path)}\``,
      );
    const files = { databaseBytes: sizeOf(path), walBytes: sizeOf(`${path}-wal`), shmBytes: sizeOf(`${path}-shm`) };
    const pages = {
      pageSize: z.number().parse(db.pragma("page_size", { simple: true })),
      pageCount: z.number().parse(db.pragma("page_count", { simple: true })),
      freelistCount: z.number().parse(db.pragma("freelist_count", { simple: true })),
    };
    if (pages.pageCount > 0 && pages.freelistCount / pages.pageCount > 0.25)
      warnings.push(`${pages.freelistCount} of ${pages.pageCount} pages are free: VACUUM would shrink the file`);
    if (files.walBytes > 64 * 1024 * 1024)
      warnings.push(`the WAL is ${files.walBytes} bytes: a long-lived reader may be preventing checkpoints`);
    return {
      path,
      files,
      pages,
      tables,
      pragmas: { inForce, expected },
      migrations,
      logHead,
      projections,
      consumers,
      integrity,
      log,
      damaged,
      indexes: indexesOf(db),
      queryPlans,
      statistics,
      problems,
      warnings,
    };
  } finally {
    db.close();
  }
};
