// Shared helpers of the benchmark suite: scratch databases, clocks, statistics.
import { mkdtempSync, rmSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { createMigratedDatabase } from "../../src/replay/scratch.js";

const root = mkdtempSync(join(process.env.BENCH_DIR ?? tmpdir(), "artist-bench-"));
let counter = 0;

/** A fresh database file migrated by dbmate (a copy of the store's one migrated template). */
export const freshDb = (name = "db"): string => {
  counter++;
  const path = join(root, `${name}-${counter}.db`);
  createMigratedDatabase(path);
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

/** The median of samples (NaN for none). */
export const median = (xs: readonly number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  const upper = s[m] ?? Number.NaN;
  return s.length % 2 ? upper : ((s[m - 1] ?? Number.NaN) + upper) / 2;
};

/** The q-quantile (0..1) of samples, nearest rank (NaN for none). */
export const quantile = (xs: readonly number[], q: number): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1))] ?? Number.NaN;
};

/**
 * `f` of each pair a[i], b[i]: figures measured round by round, so the lists are of one length.
 * @example median(pairwise(raw, app, (r, a) => r.seconds / a.seconds))
 */
export const pairwise = <A, B, R>(a: readonly A[], b: readonly B[], f: (x: A, y: B) => R): R[] =>
  a.map((x, i) => {
    const y = b[i];
    if (y === undefined) throw new Error(`pairwise: ${a.length} and ${b.length} figures`);
    return f(x, y);
  });

/** Split into chunks of n. */
export const chunks = <T>(xs: readonly T[], n: number): T[][] => {
  const out: T[][] = [];
  for (let i = 0; i < xs.length; i += n) out.push(xs.slice(i, i + n));
  return out;
};

/**
 * A figure as the bench tables print it: grouped thousands, exactly `digits` decimals.
 * @example f(12345.678, 1) // "12,345.7"
 */
export const f = (x: number, digits = 0): string =>
  x.toLocaleString("en", { minimumFractionDigits: digits, maximumFractionDigits: digits });

/** The load averages (1, 5, 15 minutes) to two decimals, recorded beside a run's figures. */
export const loadAverage = (): number[] => loadavg().map((x) => Number(x.toFixed(2)));

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
