import { createReadStream } from "node:fs";
import type { EventFilter } from "../events/queryEvents.js";
import { byteLines } from "../ingest/lines.js";
import { openAsyncStore } from "../postgres/openAsyncStore.js";
import { isPostgresUrl, redactedUrl } from "../postgres/url.js";
import type { QueryByNameOptions, QueryName } from "../queries/byName.js";
import { EXIT, type ExitCode, type Io, printJson, UsageError } from "./common.js";

/**
 * The PostgreSQL side of the commands that take a postgres:// URL (--db or DATABASE_URL):
 * migrate, emit, events, query, doctor and rebuild. Each command checks `postgresTarget` first and
 * hands over here; the rest of each command is SQLite's.
 */

/** The postgres:// URL a command's --db (else DATABASE_URL) names, or undefined for a SQLite file. */
export const postgresTarget = (db: string | undefined): string | undefined => {
  const named = db ?? process.env.DATABASE_URL;
  return named !== undefined && isPostgresUrl(named) ? named : undefined;
};

const loadPostgres = () => import("../postgres/operations.js");

/** `migrate up|status|rollback` on PostgreSQL (dbmate with db/migrations/postgres). */
export const migratePostgres = async (
  io: Io,
  url: string,
  command: "up" | "status" | "rollback",
  json: boolean | undefined,
): Promise<ExitCode> => {
  const { postgresMigrationStatus } = await loadPostgres();
  const { runPostgresDbmate } = await import("../postgres/migrations.js");
  const where = redactedUrl(url);
  const before = await postgresMigrationStatus(url);
  if (command === "status") {
    const drift = before.pending.length > 0 || before.unknown.length > 0;
    if (json) printJson(io, { url: where, ...before, current: !drift });
    else
      io.out(
        `${where}: ${before.applied.length} applied, ${before.pending.length} pending` +
          `${before.pending.length ? ` (${before.pending.join(", ")})` : ""}, ${before.unknown.length} unknown\n`,
      );
    return drift ? EXIT.failure : EXIT.ok;
  }
  runPostgresDbmate(url, [command]);
  const done = command === "up" ? before.pending : before.applied.slice(-1);
  if (json) printJson(io, { url: where, [command === "up" ? "applied" : "rolledBack"]: done });
  else
    io.out(
      command === "up"
        ? `${where}: ${done.length ? `applied ${done.join(", ")}` : "already up to date"}\n`
        : `${where}: rolled back ${done.join(", ")}\n`,
    );
  return EXIT.ok;
};

/** `emit` on PostgreSQL: the same lines, acknowledgements and report as on SQLite. */
export const emitPostgres = async (
  io: Io,
  url: string,
  file: string | undefined,
  opts: { follow?: boolean; atomic?: boolean; batchSize: number; json?: boolean },
): Promise<ExitCode> => {
  const { emitLinesAsync, followLinesAsync } = await import("../postgres/emitLines.js");
  const store = await openAsyncStore(url);
  const clock = () => new Date();
  try {
    const lines = byteLines(file === undefined || file === "-" ? process.stdin : createReadStream(file));
    if (opts.follow) {
      const counts = await followLinesAsync(store, lines, clock, (r) =>
        io.write(
          `${JSON.stringify(
            r.ok
              ? { line: r.line, ok: true, ...r.appended }
              : { line: r.line, ok: false, error: { code: r.code, message: r.message } },
          )}\n`,
        ),
      );
      return counts.rejected > 0 ? EXIT.failure : EXIT.ok;
    }
    const report = await emitLinesAsync(store, lines, clock, { atomic: opts.atomic, batchSize: opts.batchSize });
    if (opts.json)
      printJson(io, { ...report, atomic: opts.atomic === true, written: !opts.atomic || report.rejected.length === 0 });
    else {
      if (opts.atomic && report.rejected.length > 0)
        io.out(`nothing written (--atomic): ${report.rejected.length} bad line(s)\n`);
      else
        io.out(
          `accepted ${report.accepted} event(s)${report.duplicates ? ` (${report.duplicates} already in the log)` : ""}\n`,
        );
      for (const r of report.rejected) io.out(`  ${r.message} [${r.code}]\n`);
    }
    return report.rejected.length > 0 ? EXIT.failure : EXIT.ok;
  } finally {
    await store.close();
  }
};

/** `events` on PostgreSQL: the filtered log (held in memory: --limit bounds it). */
export const eventsOnPostgres = async (url: string, filter: EventFilter) =>
  (await loadPostgres()).queryPostgresEvents(url, filter);

/** One documented query's rows on PostgreSQL. */
export const queryOnPostgres = async (
  url: string,
  name: QueryName,
  options: QueryByNameOptions,
): Promise<Record<string, unknown>[]> => {
  const store = await openAsyncStore(url);
  try {
    const q = store.queries;
    switch (name) {
      case "recentHighQualityImages":
        return await q.recentHighQualityImages({ minScore: options.minScore, limit: options.limit });
      case "uncuratedImages":
        return await q.uncuratedImages({ limit: options.limit });
      case "qualityDistribution":
        return await q.qualityDistribution();
      case "trainingSessionStatistics":
        return await q.trainingSessionStatistics({ limit: options.limit });
      case "dailyCreationStatistics":
        return await q.dailyCreationStatistics({ limit: options.limit });
    }
  } finally {
    await store.close();
  }
};

/** `doctor` on PostgreSQL: one line per check; exit 1 if any fails. */
export const doctorPostgres = async (io: Io, url: string, json: boolean | undefined): Promise<ExitCode> => {
  const checks = await (await loadPostgres()).postgresDoctor(url);
  const ok = checks.every((c) => c.ok);
  if (json) printJson(io, { url: redactedUrl(url), ok, checks });
  else
    for (const c of checks) io.out(`${c.ok ? io.color.green("ok  ") : io.color.red("FAIL")} ${c.check}: ${c.detail}\n`);
  return ok ? EXIT.ok : EXIT.failure;
};

/** `rebuild` on PostgreSQL: every projection, in one transaction (no --only). */
export const rebuildPostgres = async (
  io: Io,
  url: string,
  only: unknown,
  json: boolean | undefined,
): Promise<ExitCode> => {
  if (only !== undefined)
    throw new UsageError("--only is not supported on PostgreSQL: rebuild derives every projection");
  const { rebuildPostgresProjections } = await import("../postgres/rebuildProjections.js");
  const result = await rebuildPostgresProjections(url);
  if (json) printJson(io, { url: redactedUrl(url), ...result });
  else
    io.out(
      `${redactedUrl(url)}: rebuilt every projection from ${result.events} event(s), up to position ${result.position}, in ${result.seconds.toFixed(1)} s\n`,
    );
  return EXIT.ok;
};
