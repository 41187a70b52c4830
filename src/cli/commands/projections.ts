import { Writable } from "node:stream";
import { type Command, InvalidArgumentError } from "commander";
import { z } from "zod";
import { StoreError } from "../../db/errors.js";
import { PROJECTION_NAMES, type ProjectionName } from "../../projections/index.js";
import { auditProjections, formatAuditReport } from "../../replay/auditProjections.js";
import { openStoreAsOf } from "../../replay/openStoreAsOf.js";
import { rebuildProjections } from "../../replay/rebuildProjections.js";
import { parseProjectionNames } from "../../replay/tables.js";
import { EXIT, type Io, intArg, openCliStore, timeArg, UsageError, withCommon } from "../common.js";
import { heading } from "../format.js";
import type { Cli } from "../main.js";
import { createProgress, describeRebuild } from "../progress.js";
import { findQuery, printQuery, QUERY_ALIASES, QUERY_COMMANDS, runQuery } from "./query.js";

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

/** The shared progress renderer (a bar on a terminal's stderr), its summary line written through the command's stdout. */
const progressFor = (io: Io, label: string) =>
  createProgress(label, {
    stream: process.stderr,
    out: new Writable({
      write(chunk: Buffer, _encoding, done) {
        io.out(chunk.toString());
        done();
      },
    }),
  });

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
      const store = openCliStore(io, opts.db, { stale: "ignore" });
      try {
        const progress = progressFor(io, "rebuild");
        const result = rebuildProjections(store, { only: only(opts.only), onProgress: progress.onProgress });
        progress.finish(opts.json ? JSON.stringify(result, null, 2) : describeRebuild(result));
      } finally {
        store.close();
      }
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
      const store = openCliStore(io, opts.db, { stale: "ignore" });
      try {
        const progress = progressFor(io, "audit");
        const report = auditProjections(store, {
          only: only(opts.only),
          maxRows: opts.maxRows,
          onProgress: progress.onProgress,
        });
        progress.finish(opts.json ? JSON.stringify(report, null, 2) : formatAuditReport(report));
        return report.ok ? EXIT.ok : EXIT.failure;
      } finally {
        store.close();
      }
    }),
  );

  withCommon(
    program
      .command("as-of")
      .description("the documented queries as the tables stood at a log position or a time (replayed aside)")
      .option("--position <n>", "replay the log up to this position, inclusive", intArg(0))
      .option("--time <time>", "replay what had happened by this ISO time (or date)", timeArg)
      .option("--query <name>", `one query (${QUERY_ALIASES.join(", ")}); default all five`),
  ).action(
    action((raw: unknown) => {
      const opts = Options.parse(raw);
      if ((opts.position === undefined) === (opts.time === undefined))
        throw new UsageError("as-of needs exactly one of --position and --time");
      const name = opts.query === undefined ? undefined : findQuery(opts.query);
      if (opts.query !== undefined && name === undefined)
        throw new UsageError(`unknown query "${opts.query}" (known: ${QUERY_ALIASES.join(", ")})`);
      const store = openCliStore(io, opts.db, { stale: "ignore" });
      try {
        const progress = progressFor(io, "as-of");
        const past = openStoreAsOf(store, {
          position: opts.position,
          time: opts.time,
          onProgress: progress.onProgress,
        });
        try {
          const names = name ? [name] : QUERY_COMMANDS;
          const queries = Object.fromEntries(names.map((n) => [n, runQuery(past.queries, n)]));
          if (opts.json) {
            progress.finish(JSON.stringify({ position: past.position, events: past.events, queries }, null, 2));
            return;
          }
          progress.finish(`as of log position ${past.position} (${past.events} events replayed)\n`);
          for (const [n, rows] of Object.entries(queries)) {
            io.out(heading(io, n));
            printQuery(io, n, rows, false);
            io.out("\n");
          }
        } finally {
          past.close();
        }
      } finally {
        store.close();
      }
    }),
  );
};
