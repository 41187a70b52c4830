import { spawn, spawnSync } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
/** The compiled command (built once by test/globalSetup.ts). */
export const CLI = join(ROOT, "dist", "scripts", "artist-store.js");

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** An environment without the caller's DATABASE_URL or colour settings: colours depend on the (piped) stdout alone. */
const cleanEnv = (env: Record<string, string> = {}) => {
  const { DATABASE_URL: _url, FORCE_COLOR: _force, NO_COLOR: _no, ...rest } = process.env;
  return { ...rest, ...env };
};

/**
 * Run `artist-store ...args` as a subprocess and wait for it.
 * @example const { code, stdout } = cli(["query", "recent", "--db", db, "--json"]);
 */
export const cli = (
  args: readonly string[],
  options: { input?: string | Uint8Array; env?: Record<string, string>; cwd?: string } = {},
): CliResult => {
  const r = spawnSync(process.execPath, [CLI, ...args], {
    input: options.input ?? "",
    encoding: "utf8",
    env: cleanEnv(options.env),
    cwd: options.cwd ?? ROOT,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
};

/** Start `artist-store ...args` without waiting: for long-lived and concurrent runs. */
export const cliProcess = (args: readonly string[], options: { env?: Record<string, string>; cwd?: string } = {}) =>
  spawn(process.execPath, [CLI, ...args], {
    env: cleanEnv(options.env),
    cwd: options.cwd ?? ROOT,
    stdio: ["pipe", "pipe", "pipe"],
  });

/** Wait for a child process to exit; resolves with its code and output. */
export const finished = (child: ReturnType<typeof cliProcess>): Promise<CliResult> =>
  new Promise((resolve, reject) => {
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });

/** Parse a command's --json output. */
export const json = (r: CliResult): unknown => JSON.parse(r.stdout);
/** Parse JSON lines output. */
export const jsonLines = (text: string): unknown[] =>
  text
    .split("\n")
    .filter(Boolean)
    .map((l) => JSON.parse(l) as unknown);
