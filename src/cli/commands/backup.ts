import { existsSync, rmSync } from "node:fs";
import { resolve } from "node:path";
import type { Command } from "commander";
import { z } from "zod";
import { cliCommand } from "../../db/paths.js";
import { backupDatabase, defaultBackupDir, listBackups } from "../../maintenance/backup.js";
import { restoreDatabase } from "../../maintenance/restore.js";
import { DOCUMENT_RETENTION, planRetention } from "../../maintenance/retention.js";
import { type Cli, EXIT, printJson, resolveDb, UsageError, withCommon } from "../common.js";
import { formatBytes, table } from "../format.js";
import { commandProgress } from "../progress.js";

const Options = z.object({
  db: z.string().optional(),
  json: z.boolean().optional(),
  dir: z.string().optional(),
  dryRun: z.boolean().optional(),
});

export const registerBackup = (program: Command, { io, action }: Cli): void => {
  const backup = program
    .command("backup")
    .description(
      "online, consistent backup (SQLite's backup API) into a folder, with a timestamped name; `backup list`, `backup prune`",
    )
    .addHelpText(
      "after",
      "\nThe default folder is `backups/` beside the database file. Safe while other processes emit.",
    );
  const dirOption = (cmd: Command) =>
    cmd.option("--dir <folder>", "backup folder (default: backups/ beside the database)");

  withCommon(dirOption(backup.command("create", { isDefault: true }).description("back up the database now"))).action(
    action(async (raw: unknown) => {
      const opts = Options.parse(raw);
      const path = resolveDb(opts.db);
      const progress = commandProgress(io, "backup", "pages");
      try {
        const result = await backupDatabase(path, {
          dir: opts.dir && resolve(opts.dir),
          onProgress: (p) => progress.onProgress({ done: p.totalPages - p.remainingPages, total: p.totalPages }),
        });
        const schema = result.schemaVersion ?? "none";
        const anchor = result.head?.hash ? `${result.head.position}:${result.head.hash}` : undefined;
        const head = anchor
          ? `head ${anchor}: keep it elsewhere; \`${cliCommand("verify", path)} --expect-head ${anchor}\` checks the log still holds it`
          : `head ${result.head?.position ?? 0} (no chain hash to keep)`;
        progress.finish(
          opts.json
            ? JSON.stringify({ path, ...result }, null, 2)
            : `${io.color.green("backed up")} ${path} to ${result.file} ` +
                `(${formatBytes(result.bytes)}, ${result.pages} pages, schema ${schema}, quick_check ok)\n${head}`,
        );
        return EXIT.ok;
      } finally {
        progress.stop();
      }
    }),
  );

  withCommon(dirOption(backup.command("list").description("list this database's backups, newest first"))).action(
    action((raw: unknown) => {
      const opts = Options.parse(raw);
      const path = resolveDb(opts.db);
      const backups = listBackups(path, opts.dir ? resolve(opts.dir) : defaultBackupDir(path));
      if (opts.json)
        printJson(
          io,
          backups.map((b) => ({ file: b.file, time: b.time.toISOString() })),
        );
      else
        io.out(
          table(
            io,
            backups.map((b) => ({ time: b.time.toISOString(), file: b.file })),
          ),
        );
      return EXIT.ok;
    }),
  );

  withCommon(
    dirOption(
      backup
        .command("prune")
        .description(
          "delete backups outside the retention policy " +
            `(${DOCUMENT_RETENTION.daily} daily, ${DOCUMENT_RETENTION.weekly} weekly, ${DOCUMENT_RETENTION.monthly} monthly)`,
        )
        .option("--dry-run", "print the plan, delete nothing"),
    ),
  )
    .addHelpText(
      "after",
      `
Keeps the newest backup of each of the ${DOCUMENT_RETENTION.daily} most recent days that have one, of each of the
${DOCUMENT_RETENTION.weekly} most recent ISO weeks and of each of the ${DOCUMENT_RETENTION.monthly} most recent months (UTC, from the
time in each backup's name), and never the newest backup. Everything else of this
database's backups in the folder is deleted.`,
    )
    .action(
      action((raw: unknown) => {
        const opts = Options.parse(raw);
        const path = resolveDb(opts.db);
        const dir = opts.dir ? resolve(opts.dir) : defaultBackupDir(path);
        if (opts.dir && !existsSync(dir)) throw new UsageError(`backup folder ${dir} does not exist`);
        const plan = planRetention(listBackups(path, dir));
        if (!opts.dryRun)
          for (const b of plan.remove)
            for (const f of [b.file, `${b.file}-wal`, `${b.file}-shm`]) rmSync(f, { force: true });
        if (opts.json)
          printJson(io, {
            dir,
            dryRun: opts.dryRun === true,
            kept: plan.keep.map((k) => ({
              file: k.backup.file,
              time: k.backup.time.toISOString(),
              reasons: k.reasons,
            })),
            deleted: plan.remove.map((b) => b.file),
          });
        else {
          io.out(
            table(
              io,
              plan.keep.map((k) => ({
                time: k.backup.time.toISOString(),
                kept: k.reasons.join(", "),
                file: k.backup.name,
              })),
            ),
          );
          for (const b of plan.remove) io.out(`${opts.dryRun ? "would delete" : "deleted"} ${b.name}\n`);
          io.out(
            `${opts.dryRun ? "would delete" : "deleted"} ${plan.remove.length} backup(s), kept ${plan.keep.length} in ${dir}\n`,
          );
        }
        return EXIT.ok;
      }),
    );

  withCommon(
    program
      .command("restore")
      .description(
        "replace the database's content with a backup, after checking it (integrity_check, schema version); " +
          "the replaced content is kept aside",
      )
      .argument("<file>", "the backup file"),
  )
    .addHelpText(
      "after",
      `
The backup is copied beside the live database under a temporary name, checked there
(integrity_check, migrations this code knows) and migrated if it predates this code.
Then SQLite's backup API writes it into the live file in one transaction: other
processes may keep the database open and see the old content or the restored one,
nothing between. Before that transaction commits, while it holds the write lock,
everything the live database held is kept in <name>.replaced-<time>.db beside it.
A symlink is followed: its target is restored and the link stays.`,
    )
    .action(
      action(async (file: string, raw: unknown) => {
        const opts = Options.parse(raw);
        const path = resolveDb(opts.db);
        if (!existsSync(file)) throw new UsageError(`cannot read ${file}: no such file`);
        const result = await restoreDatabase(resolve(file), path);
        if (opts.json) printJson(io, result);
        else {
          const into = result.file === result.path ? "" : ` (the target of the link, ${result.file})`;
          io.out(
            `${io.color.green("restored")} ${path}${into} from ${result.from} ` +
              `(integrity_check ok, write lock held ${Math.round(result.lockMs)} ms)\n`,
          );
          if (result.migrated.length)
            io.out(
              `the backup predated ${result.migrated.length} migration(s), applied: ${result.migrated.join(", ")}\n`,
            );
          if (result.replacedKeptAt)
            io.out(
              result.replacedKeptAs === "bytes"
                ? `the replaced database could not be read; its file and WAL are kept byte for byte at ${result.replacedKeptAt}\n`
                : `the replaced database is kept at ${result.replacedKeptAt}\n`,
            );
        }
        return EXIT.ok;
      }),
    );
};
