import type { Command } from "commander";
import { z } from "zod";
import { diagnose } from "../../maintenance/doctor.js";
import { formatFinding } from "../../maintenance/verify.js";
import { type Cli, EXIT, intArg, printJson, resolveDb, withCommon } from "../common.js";
import { formatBytes, heading, keyValues, table } from "../format.js";
import { doctorPostgres, postgresTarget } from "../postgres.js";
import { commandProgress } from "../progress.js";

const logHead = (head: { position: number; hash: string | null } | null) =>
  head ? `${head.position}:${head.hash ?? "(no hash)"}` : "an empty log";

const Options = z.object({
  db: z.string().optional(),
  json: z.boolean().optional(),
  quick: z.boolean().optional(),
  maxConsumerLag: z.number().int(),
  maxConsumerAge: z.number().int(),
});

export const registerDoctor = (program: Command, { io, action }: Cli): void => {
  withCommon(
    program
      .command("doctor")
      .description(
        "check the database: sizes, pages, rows per table, pragmas, migrations, projection checkpoints, integrity, " +
          "the event log (as verify does), indexes, query plans",
      )
      .option("--quick", "quick_check instead of the full integrity_check (faster on a large file)")
      .option("--max-consumer-lag <events>", "a consumer further behind the head is a problem", intArg(0), 10_000)
      .option(
        "--max-consumer-age <seconds>",
        "a consumer whose oldest unhandled event is older is a problem",
        intArg(0),
        3600,
      ),
  )
    .addHelpText(
      "after",
      `
Exit code 1 when something is wrong (integrity, pragmas, pending or unknown migrations,
projections stale against the log or built by other code, anything verify finds in the
event log: its chain, positions, counter, triggers and indexes, events; a consumer lagging past
--max-consumer-lag events or --max-consumer-age seconds);
warnings (a query plan with a full table scan or a temporary B-tree, a large WAL, many
free pages) are printed but leave the exit code at 0.`,
    )
    .action(
      action(async (raw: unknown) => {
        const opts = Options.parse(raw);
        const pg = postgresTarget(opts.db);
        if (pg) return doctorPostgres(io, pg, opts.json);
        const progress = commandProgress(io, "doctor");
        let r: ReturnType<typeof diagnose>;
        try {
          r = diagnose(resolveDb(opts.db), {
            quick: opts.quick,
            maxConsumerLag: opts.maxConsumerLag,
            maxConsumerAgeSeconds: opts.maxConsumerAge,
            onProgress: progress.onProgress,
          });
        } finally {
          progress.stop();
        }
        const code = r.problems.length ? EXIT.failure : EXIT.ok;
        if (opts.json) {
          printJson(io, r);
          return code;
        }
        const c = io.color;
        const out = (s: string) => io.out(s);
        out(heading(io, "Files"));
        out(
          keyValues(io, [
            ["database", `${r.path} (${formatBytes(r.files.databaseBytes)})`],
            ["wal", formatBytes(r.files.walBytes)],
            ["pages", `${r.pages.pageCount} × ${r.pages.pageSize} B, ${r.pages.freelistCount} free`],
            ["log head", r.logHead ?? "no events table"],
          ]),
        );
        out(`\n${heading(io, "Rows per table")}${table(io, r.tables)}`);
        out(
          "\n" +
            heading(io, "Pragmas in force") +
            table(
              io,
              Object.entries(r.pragmas.inForce).map(([pragma, value]) => {
                const expected = Object.entries(r.pragmas.expected).find(([k]) => k === pragma)?.[1];
                return { pragma, value, expected, ok: value === expected ? c.green("ok") : c.red("differs") };
              }),
            ),
        );
        out(`\n${heading(io, "Migrations")}`);
        out(
          keyValues(io, [
            ["applied", r.migrations.applied.join(", ") || "none"],
            ["pending", r.migrations.pending.join(", ") || "none"],
            ["unknown", r.migrations.unknown.join(", ") || "none"],
          ]),
        );
        out(
          "\n" +
            heading(io, "Projections against the log") +
            table(
              io,
              r.projections.map((p) => ({
                projection: p.projection,
                checkpoint: p.position ?? null,
                head: p.head,
                state: p.state === "fresh" ? c.green(p.state) : c.red(p.state),
              })),
            ),
        );
        out(
          "\n" +
            heading(io, "Consumers") +
            table(
              io,
              r.consumers.map((k) => ({
                consumer: k.name,
                position: k.position,
                "lag (events)": k.lagEvents,
                "lag (s)": Math.round(k.lagSeconds),
                holder: k.lease?.live ? k.lease.holder : "—",
              })),
            ),
        );
        out(
          "\n" +
            heading(io, opts.quick ? "quick_check" : "integrity_check") +
            (r.integrity.length ? `${r.integrity.map((p) => c.red(p)).join("\n")}\n` : `${c.green("ok")}\n`),
        );
        out(
          "\n" +
            heading(io, "Event log (verify)") +
            (r.log.findings.length
              ? `${r.log.findings.map((f) => c.red(formatFinding(f))).join("\n")}\n`
              : `${c.green("ok")}: ${r.log.events} events, chain intact to ${logHead(r.log.head)}\n`),
        );
        out(
          "\n" +
            heading(io, "Indexes") +
            table(
              io,
              r.indexes.map((ix) => ({
                table: ix.table,
                index: ix.name,
                columns: ix.columns.join(", "),
                unique: ix.unique,
                origin: ix.origin,
              })),
            ),
        );
        out(`\n${heading(io, "Query plans")}`);
        for (const p of r.queryPlans)
          out(
            `${c.bold(p.query)}\n${p.plan.map((l) => `  ${p.warnings.some((w) => w.includes(l.trim())) ? c.yellow(l) : l}`).join("\n")}\n`,
          );
        out("\n");
        for (const w of r.warnings) out(`${c.yellow("warning:")} ${w}\n`);
        for (const p of r.problems) out(`${c.red("problem:")} ${p}\n`);
        out(
          r.problems.length
            ? c.red(`${r.problems.length} problem(s)\n`)
            : c.green(`healthy${r.warnings.length ? `, ${r.warnings.length} warning(s)` : ""}\n`),
        );
        return code;
      }),
    );
};
