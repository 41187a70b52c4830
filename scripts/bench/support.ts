// Shared helpers of the benchmark suite: scratch databases, clocks, statistics.
import { copyFileSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runDbmate } from "../../src/db/migrations.js";

const root = mkdtempSync(join(process.env.BENCH_DIR ?? tmpdir(), "artist-bench-"));
let template: string | undefined;
let counter = 0;

/** A fresh database file migrated by dbmate (copied from one migrated template). */
export const freshDb = (name = "db"): string => {
  if (!template) {
    template = join(root, "template.db");
    runDbmate(template, ["up"]);
  }
  const path = join(root, `${name}-${++counter}.db`);
  copyFileSync(template, path);
  return path;
};

/** Remove a scratch database and its WAL files. */
export const dropDb = (path: string): void => {
  for (const suffix of ["", "-wal", "-shm"]) rmSync(path + suffix, { force: true });
};

export const cleanUp = (): void => rmSync(root, { recursive: true, force: true });
export const scratchDir = root;

/** Seconds taken by fn. */
export const time = (fn: () => void): number => {
  const t0 = process.hrtime.bigint();
  fn();
  return Number(process.hrtime.bigint() - t0) / 1e9;
};

export const median = (xs: readonly number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

/** The q-quantile (0..1) of samples, nearest rank. */
export const quantile = (xs: readonly number[], q: number): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1))]!;
};

/** Split into chunks of n. */
export const chunks = <T>(xs: readonly T[], n: number): T[][] => {
  const out: T[][] = [];
  for (let i = 0; i < xs.length; i += n) out.push(xs.slice(i, i + n));
  return out;
};

export const log = (message: string): void => {
  process.stderr.write(`${message}\n`);
};

/** Wall-clock and CPU (user + system) seconds taken by fn. CPU time is far less disturbed by other processes on a shared machine. */
export const measure = (fn: () => void): { wall: number; cpu: number } => {
  const c0 = process.cpuUsage();
  const wall = time(fn);
  const c = process.cpuUsage(c0);
  return { wall, cpu: (c.user + c.system) / 1e6 };
};
