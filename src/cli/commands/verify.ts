import { type Command, InvalidArgumentError } from "commander";
import { z } from "zod";
import { formatFinding, type VerifyReport, verifyDatabase } from "../../maintenance/verify.js";
import { type Cli, EXIT, intArg, resolveDb, withCommon } from "../common.js";
import { commandProgress } from "../progress.js";

const Anchor = z.object({ position: z.number().int(), hash: z.string() });
const Options = z.object({
  db: z.string().optional(),
  json: z.boolean().optional(),
  quick: z.boolean().optional(),
  expectHead: Anchor.optional(),
  maxFindings: z.number().int().optional(),
});

/** `POSITION:HASH`, as `backup` prints a head. */
const anchorArg = (value: string): z.output<typeof Anchor> => {
  const m = /^(\d+):([0-9a-f]{64})$/.exec(value.trim());
  if (!m) throw new InvalidArgumentError(`expected POSITION:HASH (as backup prints the head), got "${value}"`);
  return { position: Number(m[1]), hash: m[2] ?? "" };
};

const summary = (r: VerifyReport): string => {
  if (!r.ok) return `verify found ${r.findings.length + r.omitted} problem(s) in ${r.path} (${r.events} events read)`;
  const head = r.head ? `head ${r.head.position}:${r.head.hash ?? "(no hash)"}` : "an empty log";
  return (
    `verify ok: ${r.path}: ${r.events} events, positions 1..${r.head?.position ?? 0} gapless, chain intact, ` +
    `counter at the head, every event valid, log schema as migrated, integrity ok; ${head}`
  );
};

export const registerVerify = (program: Command, { io, action }: Cli): void => {
  withCommon(
    program
      .command("verify")
      .description(
        "check the event log: its hash chain, gapless positions, the counter, its triggers and indexes, every event, integrity",
      )
      .option("--quick", "quick_check instead of the full integrity_check (faster on a large file)")
      .option(
        "--expect-head <position:hash>",
        "the log must still hold this event and hash (as backup prints them)",
        anchorArg,
      )
      .option("--max-findings <n>", "findings listed at most (all are counted; default 1000)", intArg(1)),
  )
    .addHelpText(
      "after",
      `
Reads the whole log once, page by page, and never writes. Each finding names the
position (or the schema object) and what is wrong; exit code 1 when there is any.
What the chain proves and what it cannot: docs/reliability.md.`,
    )
    .action(
      action((raw: unknown) => {
        const opts = Options.parse(raw);
        const progress = commandProgress(io, "verify");
        try {
          const report = verifyDatabase(resolveDb(opts.db), {
            integrity: opts.quick ? "quick" : "full",
            expectHead: opts.expectHead,
            maxFindings: opts.maxFindings,
            onProgress: progress.onProgress,
          });
          if (opts.json) progress.finish(JSON.stringify(report, null, 2));
          else {
            const lines = report.findings.map((f) => io.color.red(formatFinding(f)));
            if (report.omitted) lines.push(`… and ${report.omitted} more finding(s)`);
            lines.push(report.ok ? io.color.green(summary(report)) : io.color.red(summary(report)));
            progress.finish(lines.join("\n"));
          }
          return report.ok ? EXIT.ok : EXIT.failure;
        } finally {
          progress.stop();
        }
      }),
    );
};
