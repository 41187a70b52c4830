import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { Command } from "commander";
import { StoreError } from "../db/errors.js";
import { packageRoot } from "../db/paths.js";
import { messageOf } from "../db/sqliteErrors.js";
import type { Cli, ExitCode, Io } from "./common.js";

/** The package's version, from the package.json beside db/migrations (the clone's, or the installed package's). */
const version = (): string => {
  const parsed: unknown = JSON.parse(readFileSync(join(packageRoot, "package.json"), "utf8"));
  const v: unknown = typeof parsed === "object" && parsed !== null ? Reflect.get(parsed, "version") : undefined;
  if (typeof v !== "string") throw new Error(`${join(packageRoot, "package.json")} has no version`);
  return v;
};

type Register = (program: Command, cli: Cli) => void;

/**
 * Each command module and the commands it registers, in the order of the help. A module
 * is loaded only when one of its commands runs (or for the help): loading all of them
 * was most of the CLI's start-up (docs/performance.md). A new command: one line here.
 */
const COMMANDS: readonly { names: readonly string[]; load: () => Promise<Register> }[] = [
  { names: ["demo"], load: async () => (await import("./commands/demo.js")).registerDemo },
  { names: ["migrate"], load: async () => (await import("./commands/migrate.js")).registerMigrate },
  { names: ["emit"], load: async () => (await import("./commands/emit.js")).registerEmit },
  { names: ["events"], load: async () => (await import("./commands/events.js")).registerEvents },
  { names: ["follow"], load: async () => (await import("./commands/follow.js")).registerFollow },
  { names: ["query"], load: async () => (await import("./commands/query.js")).registerQuery },
  {
    names: ["rebuild", "audit", "as-of"],
    load: async () => (await import("./commands/projections.js")).registerProjections,
  },
  { names: ["backup", "restore"], load: async () => (await import("./commands/backup.js")).registerBackup },
  { names: ["recover"], load: async () => (await import("./commands/recover.js")).registerRecover },
  { names: ["doctor"], load: async () => (await import("./commands/doctor.js")).registerDoctor },
  { names: ["optimize"], load: async () => (await import("./commands/optimize.js")).registerOptimize },
  { names: ["verify"], load: async () => (await import("./commands/verify.js")).registerVerify },
  { names: ["consumers"], load: async () => (await import("./commands/consumers.js")).registerConsumers },
  { names: ["serve"], load: async () => (await import("./commands/serve.js")).registerServe },
];

/** One line naming the problem: the first line of the message, nothing more. */
const oneLine = (e: unknown): string => messageOf(e).split("\n")[0] ?? "";

/** The command tree with the modules of `command` registered (every module when undefined: the help, an unknown command). */
const buildProgram = async (
  io: Io,
  onExit: (code: ExitCode) => void,
  command: string | undefined,
): Promise<Command> => {
  const { Command } = await import("commander");
  const program = new Command("artist-store")
    .description(
      "The AI-artist event store: emit and read events, query the projections, migrate, back up, restore and inspect the SQLite database.",
    )
    .version(version(), "-V, --version")
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
  $ artist-store optimize                  refresh the query planner's statistics (doctor's fix)
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
  const named = COMMANDS.filter((c) => command !== undefined && c.names.includes(command));
  for (const register of await Promise.all((named.length > 0 ? named : COMMANDS).map((c) => c.load())))
    register(program, cli);
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
export const runCli = async (argv: readonly string[], given?: Io): Promise<ExitCode> => {
  const args = withDbAfterCommand(argv);
  const [, , first, ...rest] = args;
  // The version alone needs no command module, nor the store (start-up: docs/performance.md).
  if ((first === "--version" || first === "-V") && rest.length === 0) {
    const text = `${version()}\n`;
    if (given) given.out(text);
    else process.stdout.write(text);
    return 0;
  }
  const [{ CommanderError }, { EXIT, processIo, UsageError }] = await Promise.all([
    import("commander"),
    import("./common.js"),
  ]);
  const io = given ?? processIo();
  let code: ExitCode = EXIT.ok;
  try {
    const program = await buildProgram(
      io,
      (c) => (code = c),
      args.slice(2).find((a) => !a.startsWith("-")),
    );
    await program.parseAsync(args);
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
