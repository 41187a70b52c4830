import { readFileSync } from "node:fs";
import { join } from "node:path";
import { Command, CommanderError } from "commander";
import { z } from "zod";
import { StoreError } from "../db/errors.js";
import { packageRoot } from "../db/paths.js";
import { messageOf } from "../db/sqliteErrors.js";
import { registerBackup } from "./commands/backup.js";
import { registerConsumers } from "./commands/consumers.js";
import { registerDemo } from "./commands/demo.js";
import { registerDoctor } from "./commands/doctor.js";
import { registerEmit } from "./commands/emit.js";
import { registerEvents } from "./commands/events.js";
import { registerFollow } from "./commands/follow.js";
import { registerMigrate } from "./commands/migrate.js";
import { registerProjections } from "./commands/projections.js";
import { registerQuery } from "./commands/query.js";
import { registerRecover } from "./commands/recover.js";
import { registerServe } from "./commands/serve.js";
import { registerVerify } from "./commands/verify.js";
import { type Cli, EXIT, type ExitCode, type Io, processIo, UsageError } from "./common.js";

/** The package's version, from the package.json beside db/migrations (the clone's, or the installed package's). */
const VERSION = z
  .object({ version: z.string() })
  .parse(JSON.parse(readFileSync(join(packageRoot, "package.json"), "utf8"))).version;

/** One line naming the problem: the first line of the message, nothing more. */
const oneLine = (e: unknown): string => messageOf(e).split("\n")[0] ?? "";

/** Build the whole command tree. */
export const buildProgram = (io: Io, onExit: (code: ExitCode) => void): Command => {
  const program = new Command("artist-store")
    .description(
      "The AI-artist event store: emit and read events, query the projections, migrate, back up, restore and inspect the SQLite database.",
    )
    .version(VERSION, "-V, --version")
    .showSuggestionAfterError(true)
    .exitOverride()
    .configureOutput({ writeOut: io.out, writeErr: io.err, outputError: (s, write) => write(s) })
    .addHelpText(
      "after",
      `
Every command takes --db PATH (or DATABASE_URL; default sqlite:data/ai_artist.db); every
one that prints data takes --json, and query and events also --nl and --csv.
Exit codes: 0 ok, 1 failure or drift, 2 usage error.

Examples:
  $ artist-store demo                      play a pipeline day, print the five queries
  $ artist-store migrate                   create or upgrade the database
  $ artist-store emit events.jsonl         append JSON lines, report rejected lines
  $ artist-store query recent --min-score 8
  $ artist-store audit                     replay the log aside, compare with the tables
  $ artist-store as-of --time 2026-01-08T12:00:00Z --query quality
  $ artist-store backup && artist-store backup prune
  $ artist-store doctor
  $ artist-store recover --dry-run        a damaged file: the newest backup that verifies plus the events it still links
  $ artist-store verify                    walk the log's hash chain, check its schema and every event
  $ artist-store follow --consumer uploader --types ImageCurated   JSON lines out, acks in
  $ artist-store serve                     a read-only dashboard at http://127.0.0.1:4173/`,
    );
  const cli: Cli = {
    io,
    action:
      (fn) =>
      async (...args) => {
        onExit(await fn(...args));
      },
  };
  registerDemo(program, cli);
  registerMigrate(program, cli);
  registerEmit(program, cli);
  registerEvents(program, cli);
  registerFollow(program, cli);
  registerQuery(program, cli);
  registerProjections(program, cli);
  registerBackup(program, cli);
  registerRecover(program, cli);
  registerDoctor(program, cli);
  registerVerify(program, cli);
  registerConsumers(program, cli);
  registerServe(program, cli);
  return program;
};

/**
 * `--db X` given before the command, as dbmate users type their `--url` (`artist-store --db x migrate`), is moved
 * behind it, where every command reads it (before a `--` that ends the options, if any).
 */
const withDbAfterCommand = (argv: readonly string[]): string[] => {
  const [node = "node", script = "artist-store", ...rest] = argv;
  const leading: string[] = [];
  let i = 0;
  for (; i < rest.length; i++) {
    const arg = rest[i] ?? "";
    if (arg === "--db" && i + 1 < rest.length) leading.push(arg, rest[++i] ?? "");
    else if (arg.startsWith("--db=")) leading.push(arg);
    else break;
  }
  const after = rest.slice(i);
  if (leading.length === 0 || after.length === 0) return [...argv];
  const end = after.indexOf("--");
  return end < 0
    ? [node, script, ...after, ...leading]
    : [node, script, ...after.slice(0, end), ...leading, ...after.slice(end)];
};

/**
 * Run the command line with these arguments (process.argv shape) and return the exit code.
 * @example process.exitCode = await runCli(process.argv);
 */
export const runCli = async (argv: readonly string[], io: Io = processIo()): Promise<ExitCode> => {
  let code: ExitCode = EXIT.ok;
  const program = buildProgram(io, (c) => (code = c));
  try {
    await program.parseAsync(withDbAfterCommand(argv));
    return code;
  } catch (e) {
    if (e instanceof CommanderError) return e.exitCode === 0 ? EXIT.ok : EXIT.usage;
    io.err(`${io.errColor.red("error:")} ${oneLine(e)}\n`);
    if (e instanceof UsageError) return EXIT.usage;
    if (!(e instanceof StoreError) && process.env.ARTIST_STORE_DEBUG)
      io.err(`${e instanceof Error ? (e.stack ?? "") : ""}\n`);
    return EXIT.failure;
  }
};
