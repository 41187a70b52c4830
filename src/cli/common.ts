import { type Command, InvalidArgumentError, Option } from "commander";
import pc from "picocolors";
import { databasePath, databasePathFromEnv, rememberTypedName } from "../db/paths.js";
import { errnoCode, messageOf } from "../db/sqliteErrors.js";
import { isoTime } from "../events/schemas.js";
import { type OpenStoreOptions, openStore, type Store } from "../store/openStore.js";

/** A mistake in how the command was called: reported on stderr, exit code 2. */
export class UsageError extends Error {
  override name = "UsageError";
}

/** Exit codes of every command. */
export const EXIT = { ok: 0, failure: 1, usage: 2 } as const;
export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** Where a command writes: stdout for results, stderr for progress and errors; colours only on a TTY. */
export interface Io {
  out: (text: string) => void;
  /**
   * Write a piece of a long output and wait until the reader has taken it (backpressure):
   * resolves false once the reader has gone (a closed pipe), and the command should stop.
   */
  write: (text: string) => Promise<boolean>;
  err: (text: string) => void;
  /** stdout is a terminal (colours, tables). */
  tty: boolean;
  /** stderr is a terminal that can redraw a line: progress bars (drawsProgress). */
  errTty: boolean;
  color: ReturnType<typeof pc.createColors>;
  errColor: ReturnType<typeof pc.createColors>;
}

/** What each command module gets: where to write, and how to wrap its action. */
export interface Cli {
  io: Io;
  /** Wrap an action: the exit code it returns becomes the process's. */
  action: <A extends unknown[]>(fn: (...args: A) => ExitCode | Promise<ExitCode>) => (...args: A) => Promise<void>;
}

const colorAllowed = (stream: NodeJS.WriteStream) =>
  stream.isTTY === true && !("NO_COLOR" in process.env) && process.env.TERM !== "dumb";

/**
 * Whether a command draws a progress bar on this stream: only on a terminal that can redraw a line, never into a
 * pipe, a file or a CI log (where the summary line says it all). NO_COLOR does not matter: the bar has no colours.
 * @example drawsProgress(process.stderr) // false under `2> log.txt`
 */
export const drawsProgress = (
  stream: { isTTY?: boolean },
  env: Readonly<Record<string, string | undefined>> = process.env,
): boolean => stream.isTTY === true && env.TERM !== "dumb";

/** The reader of stdout went away (`events | head`): that is its choice, not a failure. */
const READER_GONE = new Set(["EPIPE", "ERR_STREAM_DESTROYED"]);

/**
 * Writes to stdout that wait for the reader. Any other failure to write (a full disk under
 * `> file`) is one `error:` line and exit code 1, once; nothing more is written.
 */
const stdoutWriter = (): Io["write"] => {
  let gone = false;
  process.stdout.on("error", (e: unknown) => {
    if (gone) return;
    gone = true;
    if (READER_GONE.has(errnoCode(e) ?? "")) return;
    process.stderr.write(`error: cannot write the output: ${messageOf(e)}\n`);
    process.exitCode = EXIT.failure;
  });
  const settled = () => new Promise<void>((resolve) => setImmediate(resolve));
  return async (text) => {
    if (gone) return false;
    if (!process.stdout.write(text)) {
      await new Promise<void>((resolve) => {
        const done = () => {
          for (const event of ["drain", "error", "close"]) process.stdout.off(event, done);
          resolve();
        };
        for (const event of ["drain", "error", "close"]) process.stdout.once(event, done);
      });
    } else await settled();
    return !gone;
  };
};
let processWrite: Io["write"] | undefined;
/** One writer per process: it listens to stdout's errors once. */
const stdoutWrite = (): Io["write"] => {
  processWrite ??= stdoutWriter();
  return processWrite;
};

export const processIo = (): Io => ({
  out: (text) => void process.stdout.write(text),
  write: stdoutWrite(),
  err: (text) => void process.stderr.write(text),
  tty: colorAllowed(process.stdout),
  errTty: drawsProgress(process.stderr),
  color: pc.createColors(colorAllowed(process.stdout)),
  errColor: pc.createColors(colorAllowed(process.stderr)),
});

/** Options every command that touches a database takes. */
export interface CommonOptions {
  db?: string;
  json?: boolean;
}

export const dbOption = () =>
  new Option(
    "--db <path>",
    "database file, sqlite: URL or postgres:// URL (default: $DATABASE_URL, else sqlite:data/ai_artist.db)",
  );
export const jsonOption = () => new Option("--json", "print JSON for scripts instead of tables");

/** Add --db and --json to a command. */
export const withCommon = (cmd: Command, { json = true }: { json?: boolean } = {}): Command => {
  cmd.addOption(dbOption());
  if (json) cmd.addOption(jsonOption());
  return cmd;
};

/** The database file a command works on: --db, else DATABASE_URL, else the default. */
export const resolveDb = (db: string | undefined): string => {
  try {
    const url = process.env.DATABASE_URL?.trim() ? process.env.DATABASE_URL : undefined;
    const path = db === undefined ? databasePathFromEnv() : databasePath(db);
    // Hints repeat what was typed: a relative path stays relative, a URL stays a URL (the default needs no --db).
    rememberTypedName(path, db ?? url);
    return path;
  } catch (e) {
    throw new UsageError(messageOf(e));
  }
};

/** Argument parsers: a bad value is a usage error that names the option's value. */
export const intArg =
  (min: number, max = Number.MAX_SAFE_INTEGER) =>
  (value: string): number => {
    if (!/^-?\d+$/.test(value.trim())) throw new InvalidArgumentError(`expected an integer, got "${value}"`);
    const n = Number(value);
    if (!Number.isSafeInteger(n) || n < min || n > max)
      throw new InvalidArgumentError(
        max === Number.MAX_SAFE_INTEGER
          ? `expected an integer >= ${min}, got ${value}`
          : `expected an integer from ${min} to ${max}, got ${value}`,
      );
    return n;
  };

export const numberArg = (value: string): number => {
  const n = Number(value);
  if (value.trim() === "" || !Number.isFinite(n)) throw new InvalidArgumentError(`expected a number, got "${value}"`);
  return n;
};

/** An ISO-8601 time (a bare date means its UTC midnight), normalised to the stored format. */
export const timeArg = (value: string): string => {
  const withTime = /^\d{4}-\d{2}-\d{2}$/.test(value) ? `${value}T00:00:00Z` : value;
  const parsed = isoTime.safeParse(withTime);
  if (!parsed.success)
    throw new InvalidArgumentError(
      `expected an ISO-8601 time such as 2026-01-08T12:00:00Z or a date 2026-01-08, got "${value}"`,
    );
  return parsed.data;
};

/** JSON on stdout, one document, newline-terminated. */
export const printJson = (io: Io, value: unknown): void => io.out(`${JSON.stringify(value, null, 2)}\n`);

/**
 * SQLite's default page cache, in KiB, for a command that reads the log or a query in one
 * pass: the store's 64 MB cache would only keep pages the read has passed (figures:
 * docs/performance.md#memory).
 */
export const ONE_PASS_CACHE_KIB = 2000;

/** Give a store opened for one pass over its data the page cache of ONE_PASS_CACHE_KIB. */
export const forOnePass = (store: Store): Store => {
  store.db.pragma(`cache_size = -${ONE_PASS_CACHE_KIB}`);
  return store;
};

/** Open the store for a command: stale-projection warnings go to stderr as one `warning:` line. */
export const openCliStore = (
  io: Io,
  db: string | undefined,
  options: Omit<OpenStoreOptions, "url" | "onWarning"> = {},
): Store =>
  openStore({
    ...options,
    url: resolveDb(db),
    onWarning: (message) => io.err(`${io.errColor.yellow("warning:")} ${message}\n`),
  });
