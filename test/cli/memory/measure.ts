import { spawnSync } from "node:child_process";
import { readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { z } from "zod";
import { CLI } from "../run.js";

const PRELOAD = fileURLToPath(new URL("reportUsage.mjs", import.meta.url));

const Report = z.object({ maxRssKiB: z.number().int(), readBytes: z.number().int(), code: z.number().int() });
export type Usage = z.output<typeof Report> & { stdout: string; stderr: string };

/**
 * The V8 heap of a measured command, capped: old space 64 MiB, semi-spaces 2 MiB. Without a cap
 * V8 lets garbage build up to some 60 MB of old space before it collects, later in a long run
 * than in a short one, which blurs a comparison of peak RSS; under the cap a command that holds
 * its rows dies ("heap out of memory") instead of passing.
 */
export const HEAP_FLAGS = ["--max-old-space-size=64", "--max-semi-space-size=2"];

/** A word as sh reads it back whole. */
const shellWord = (s: string) => `'${s.replaceAll("'", `'\\''`)}'`;

/**
 * Run `artist-store ...args` in a shell (under `heap`: HEAP_FLAGS unless told otherwise), its stdout into `reader` (a shell
 * pipeline such as `head -1`; none: collected here), and return what the command itself used:
 * its peak RSS, the bytes it read and its exit code, reported by the preloaded reportUsage.mjs.
 * @example const { maxRssKiB } = measureCli(["events", "--db", db], { dir, reader: "wc -l" });
 */
export const measureCli = (
  args: readonly string[],
  { dir, reader, heap = HEAP_FLAGS }: { dir: string; reader?: string; heap?: readonly string[] },
): Usage => {
  const report = join(dir, "usage.jsonl");
  rmSync(report, { force: true });
  const command = [process.execPath, ...heap, "--import", PRELOAD, CLI, ...args].map(shellWord).join(" ");
  const { DATABASE_URL: _url, FORCE_COLOR: _force, NO_COLOR: _no, ...env } = process.env;
  const r = spawnSync("sh", ["-c", reader === undefined ? command : `${command} | ${reader}`], {
    encoding: "utf8",
    env: { ...env, USAGE_REPORT: report },
    maxBuffer: 1 << 30,
  });
  if (r.error) throw r.error;
  const lines = readFileSync(report, "utf8").trim().split("\n");
  if (lines.length !== 1) throw new Error(`expected one usage report, got ${lines.length}: ${r.stderr}`);
  return { ...Report.parse(JSON.parse(lines[0] ?? "")), stdout: r.stdout, stderr: r.stderr };
};
