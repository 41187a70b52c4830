import { type Command, InvalidArgumentError } from "commander";
import { z } from "zod";
import { StoreError } from "../../db/errors.js";
import { PROJECTION_NAMES, type ProjectionName } from "../../projections/index.js";
import { findQuery } from "../../queries/byName.js";
import { QUERY_NAMES } from "../../queries/index.js";
import { auditProjections, formatAuditReport } from "../../replay/auditProjections.js";
import { openStoreAsOf } from "../../replay/openStoreAsOf.js";
import { rebuildProjections } from "../../replay/rebuildProjections.js";
import { parseProjectionNames } from "../../replay/tables.js";
import type { Store } from "../../store/openStore.js";
import { type Cli, EXIT, type Io, intArg, openCliStore, timeArg, UsageError, withCommon } from "../common.js";
import { heading } from "../format.js";
import { postgresTarget, rebuildPostgres } from "../postgres.js";
import { commandProgress, describeRebuild, type ProgressReporter } from "../progress.js";
import { printQuery, QUERY_SHORT_NAMES, runQueries } from "./query.js";

const Options = z.object({
  db: z.string().optional(),
  json: z.boolean().optional(),
  only: z.array(z.string()).optional(),
  maxRows: z.number().int().optional(),
  position: z.number().int().optional(),
  time: z.string().optional(),
  query: z.string().optional(),
});

const onlyArg = (value: string): ProjectionName[] => {
  try {
    return parseProjectionNames(value.split(",").map((n) => n.trim()));
  } catch (e) {
    if (e instanceof StoreError) throw new InvalidArgumentError(e.message);
    throw e;
  }
};
const onlyOption = (cmd: Command) =>
  cmd.option(
    "--only <projections>",
    `comma-separated projections (${PROJECTION_NAMES.join(", ")}); default all`,
    onlyArg,
  );
const only = (names: readonly string[] | undefined) => (names ? parseProjectionNames(names) : undefined);

/** Open the store (stale tables are what these commands are for) and a progress bar; close both whatever happens. */
const withStore = <T>(
  io: Io,
  db: string | undefined,
  label: string,
  run: (store: Store, progress: ProgressReporter) => T,
): T => {
  const store = openCliStore(io, db, { stale: "ignore" });
  const progress = commandProgress(io, label);
  try {
    return run(store, progress);
  } finally {
    progress.stop();
    store.close();
  }
};

export const registerProjections = (program: Command, { io, action }: Cli): void => {
  withCommon(
    onlyOption(
      program
        .command("rebuild")
        .description("derive the projection tables again from the log (emitters wait only for the final swap)"),
    ),
  ).action(
    action((raw: unknown) => {
      const opts = Options.parse(raw);
      const pg = postgresTarget(opts.db);
      if (pg) return rebuildPostgres(io, pg, opts.only, opts.json);
      return withStore(io, opts.db, "rebuild", (store, progress) => {
        const result = rebuildProjections(store, { only: only(opts.only), onProgress: progress.onProgress });
        progress.finish(opts.json ? JSON.stringify(result, null, 2) : describeRebuild(result));
        return EXIT.ok;
      });
    }),
  );

  withCommon(
    onlyOption(
      program
        .command("audit")
        .description("replay the log aside and compare it with the live tables, row by row (exit 1 on drift)"),
    ).option(
      "--max-rows <n>",
      "drifted rows listed per table and kind (default 100; counts are always exact)",
      intArg(0),
    ),
  ).action(
    action((raw: unknown) => {
      const opts = Options.parse(raw);
      return withStore(io, opts.db, "audit", (store, progress) => {
        const report = auditProjections(store, {
          only: only(opts.only),
          maxRows: opts.maxRows,
          onProgress: progress.onProgress,
        });
        progress.finish(opts.json ? JSON.stringify(report, null, 2) : formatAuditReport(report, store.path));
        return report.ok ? EXIT.ok : EXIT.failure;
      });
    }),
  );

  withCommon(
    program
      .command("as-of")
      .description("the documented queries as the tables stood at a log position or a time (replayed aside)")
      .option("--position <n>", "replay the log up to this position, inclusive", intArg(0))
      .option("--time <time>", "replay what had happened by this ISO time (or date)", timeArg)
      .option("--query <name>", `one query (${QUERY_SHORT_NAMES.join(", ")}); default all five`),
  ).action(
    action((raw: unknown) => {
      const opts = Options.parse(raw);
      if ((opts.position === undefined) === (opts.time === undefined))
        throw new UsageError("as-of needs exactly one of --position and --time");
      const query = opts.query === undefined ? undefined : findQuery(opts.query);
      if (opts.query !== undefined && query === undefined)
        throw new UsageError(`unknown query "${opts.query}" (known: ${QUERY_SHORT_NAMES.join(", ")})`);
      return withStore(io, opts.db, "as-of", (store, progress) => {
        const past = openStoreAsOf(store, {
          position: opts.position,
          time: opts.time,
          onProgress: progress.onProgress,
        });
        try {
          const queries = runQueries(past.queries, query ? [query] : QUERY_NAMES);
          if (opts.json) {
            progress.finish(JSON.stringify({ position: past.position, events: past.events, queries }, null, 2));
            return EXIT.ok;
          }
          progress.finish(`as of log position ${past.position} (${past.events} events replayed)\n`);
          for (const [name, rows] of Object.entries(queries)) {
            io.out(heading(io, name));
            printQuery(io, name, rows);
            io.out("\n");
          }
          return EXIT.ok;
        } finally {
          past.close();
        }
      });
    }),
  );
};
