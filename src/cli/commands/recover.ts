import { existsSync } from "node:fs";
import { resolve } from "node:path";
import type { Command } from "commander";
import { z } from "zod";
import { cliCommand } from "../../db/paths.js";
import { type PositionRange, type RecoverReport, recoverDatabase } from "../../maintenance/recover.js";
import { formatFinding } from "../../maintenance/verify.js";
import { type Cli, EXIT, type Io, resolveDb, UsageError, withCommon } from "../common.js";
import { commandProgress, type ProgressReporter } from "../progress.js";

const Options = z.object({
  db: z.string().optional(),
  json: z.boolean().optional(),
  backup: z.string().optional(),
  dir: z.string().optional(),
  dryRun: z.boolean().optional(),
});

const range = (r: PositionRange) => (r.from === r.to ? `position ${r.from}` : `positions ${r.from}..${r.to}`);
const count = (ranges: readonly PositionRange[]) => ranges.reduce((n, r) => n + r.to - r.from + 1, 0);
const head = (h: RecoverReport["head"]) => (h ? `${h.position}:${h.hash ?? "(no hash)"}` : "0 (an empty log)");

/** The readable summary: where it started, what it read, salvaged and lost, the result. */
const summary = (io: Io, r: RecoverReport): string => {
  const lines: string[] = [];
  for (const s of r.skippedBackups) lines.push(io.color.yellow(`passed over backup ${s.file}: ${s.reason}`));
  lines.push(`started from backup ${r.backup.file} (head ${head(r.backup.head)}, verify ok)`);
  const d = r.damaged;
  lines.push(
    `read ${r.path} page by page: ${d.pages} pages` +
      `${d.headerReadable ? "" : ` (its header is damaged: read with the backup's page size, ${d.pageSize})`}` +
      `, ${d.walFrames} committed WAL frames; ${d.rows} event rows, last readable position ${d.lastReadable ?? "none"}` +
      `${d.counter === null ? "" : `, counter ${d.counter}`}`,
  );
  if (r.salvaged.length)
    lines.push(io.color.green(`salvaged ${count(r.salvaged)} event(s): ${r.salvaged.map(range).join(", ")}`));
  else lines.push("salvaged nothing: the backup holds every event the damaged file still links onto");
  for (const l of r.lost) lines.push(io.color.red(`lost ${range(l)} (${l.reason}): ${l.message}`));
  if (r.differing.length)
    lines.push(
      io.color.yellow(
        `the damaged file holds ${r.differing.map(range).join(", ")} with other hashes than the backup: the backup's are kept`,
      ),
    );
  for (const f of r.verify.findings) lines.push(io.color.red(formatFinding(f)));
  lines.push(`new head ${head(r.head)}; verify ${r.verify.ok ? "ok" : "FAILED"}`);
  if (r.replaced)
    lines.push(
      `${io.color.green("recovered")} ${r.path}; the damaged file is kept byte for byte at ${r.damagedKeptAt}`,
    );
  else if (r.dryRun) lines.push(`dry run: nothing replaced (\`${cliCommand("recover", r.path)}\` does it)`);
  else lines.push(io.color.red(`the recovered database fails verify: nothing replaced`));
  return lines.join("\n");
};

export const registerRecover = (program: Command, { io, action }: Cli): void => {
  withCommon(
    program
      .command("recover")
      .description(
        "rebuild a damaged database: the newest backup that verifies, plus every later event the damaged file still holds whose chain links",
      )
      .option("--backup <file>", "start from this backup (default: the newest in the backup folder that verifies)")
      .option("--dir <folder>", "backup folder (default: backups/ beside the database)")
      .option("--dry-run", "report what would be recovered, replace nothing"),
  )
    .addHelpText(
      "after",
      `
Reads the damaged file (and its -wal) page by page, read-only, past damaged pages,
and appends the events after the backup's head as stored, in order, up to the first
that is missing, does not link or is not valid. Rebuilds the projections, verifies,
and puts the result in place as restore does; the damaged file is kept byte for byte
beside it. Exit code 0 when every event up to the damaged file's last readable one
was recovered, 1 when events were lost (named) or the result fails verify.`,
    )
    .action(
      action(async (raw: unknown) => {
        const opts = Options.parse(raw);
        const path = resolveDb(opts.db);
        if (opts.backup && !existsSync(opts.backup)) throw new UsageError(`cannot read ${opts.backup}: no such file`);
        if (opts.dir && !existsSync(opts.dir)) throw new UsageError(`backup folder ${opts.dir} does not exist`);
        const bars: Record<string, ProgressReporter> = {
          scan: commandProgress(io, "recover: reading pages", "pages"),
          salvage: commandProgress(io, "recover: linking", "events"),
          rebuild: commandProgress(io, "recover: rebuilding", "events"),
        };
        let phase: string | undefined;
        try {
          const report = await recoverDatabase(path, {
            backup: opts.backup && resolve(opts.backup),
            backupDir: opts.dir && resolve(opts.dir),
            dryRun: opts.dryRun,
            onProgress: ({ phase: next, ...p }) => {
              if (phase !== next && phase) bars[phase]?.stop();
              phase = next;
              bars[next]?.onProgress(p);
            },
          });
          if (phase) bars[phase]?.stop();
          io.out(`${opts.json ? JSON.stringify(report, null, 2) : summary(io, report)}\n`);
          return report.complete && report.verify.ok ? EXIT.ok : EXIT.failure;
        } finally {
          for (const bar of Object.values(bars)) bar.stop();
        }
      }),
    );
};
