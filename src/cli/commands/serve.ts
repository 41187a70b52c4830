import { resolve } from "node:path";
import type { Command } from "commander";
import { z } from "zod";
import { DEFAULT_AS_OF_LIMITS } from "../../serve/app.js";
import { defaultImagesDir } from "../../serve/imageFiles.js";
import { startDashboard } from "../../serve/server.js";
import { type Cli, dbOption, EXIT, intArg, resolveDb, UsageError } from "../common.js";

const Options = z.object({
  db: z.string().optional(),
  port: z.number().int(),
  host: z.string(),
  imagesDir: z.string().optional(),
  backupDir: z.string().optional(),
  maxLag: z.number().int(),
  maxConsumerLag: z.number().int(),
  asOfMaxEvents: z.number().int(),
  asOfBudgetMs: z.number().int(),
});

/** Resolves on the first SIGINT or SIGTERM: the server then closes and the command returns. */
const stopSignal = (): Promise<NodeJS.Signals> =>
  new Promise((resolveSignal) => {
    const stop = (signal: NodeJS.Signals) => {
      process.off("SIGINT", stop);
      process.off("SIGTERM", stop);
      resolveSignal(signal);
    };
    process.on("SIGINT", stop);
    process.on("SIGTERM", stop);
  });

export const registerServe = (program: Command, { io, action }: Cli): void => {
  program
    .command("serve")
    .description("a read-only web dashboard of the store: quality, trend, gallery, training, timeline, health")
    .addOption(dbOption())
    .option("--port <n>", "port to listen on (0: any free port)", intArg(0), 4173)
    .option("--host <address>", "address to bind (anything but loopback exposes the store to the network)", "127.0.0.1")
    .option("--images-dir <dir>", "folder of the image files (default: images/ beside the database)")
    .option("--backup-dir <dir>", "folder of the backups (default: backups/ beside the database)")
    .option("--max-lag <n>", "GET /health answers 503 when a projection lags the log by more events", intArg(0), 0)
    .option(
      "--max-consumer-lag <n>",
      "GET /health answers 503 when a named consumer lags the log by more events",
      intArg(0),
      10_000,
    )
    .option(
      "--as-of-max-events <n>",
      "time travel replays at most this many events",
      intArg(0),
      DEFAULT_AS_OF_LIMITS.maxEvents,
    )
    .option("--as-of-budget-ms <ms>", "time travel gives up after this long", intArg(1), DEFAULT_AS_OF_LIMITS.budgetMs)
    .addHelpText(
      "after",
      `
The database is opened read-only (query_only); nothing in the dashboard writes. Pages:
/ (overview), /gallery, /training, /timeline, /stream?id=..., /status (health); the JSON
API under /api/ (docs/dashboard.md); GET /health for monitors (503 past --max-lag or
--max-consumer-lag).
Ctrl-C (SIGINT) or SIGTERM stops it.

Examples:
  $ artist-store serve
  $ artist-store serve --db data/ai_artist.db --port 8080 --images-dir /srv/renders`,
    )
    .action(
      action(async (raw: unknown) => {
        const opts = Options.parse(raw);
        if (opts.port > 65535) throw new UsageError(`--port ${opts.port}: at most 65535`);
        const path = resolveDb(opts.db);
        const dashboard = await startDashboard({
          url: path,
          port: opts.port,
          host: opts.host,
          imagesDir: resolve(opts.imagesDir ?? defaultImagesDir(path)),
          backupDir: opts.backupDir === undefined ? undefined : resolve(opts.backupDir),
          maxLag: opts.maxLag,
          maxConsumerLag: opts.maxConsumerLag,
          asOf: { maxEvents: opts.asOfMaxEvents, budgetMs: opts.asOfBudgetMs },
          onWarning: (message) => io.err(`${io.errColor.yellow("warning:")} ${message}\n`),
        });
        io.out(`artist-store dashboard of ${dashboard.path} (read-only) at ${dashboard.url}\n`);
        io.out("Ctrl-C stops it.\n");
        const signal = await stopSignal();
        await dashboard.close();
        io.out(`stopped (${signal})\n`);
        return EXIT.ok;
      }),
    );
};
