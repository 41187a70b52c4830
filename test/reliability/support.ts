import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { z } from "zod";
import { type Db, openConnection } from "../../src/db/connection.js";
import { packageRoot } from "../../src/db/paths.js";
import { createLogReader } from "../../src/events/readEvents.js";
import { openStore, type Store } from "../../src/index.js";
import { auditProjections } from "../../src/operations.js";
import { createProjector, PROJECTIONS } from "../../src/projections/index.js";
import { type AckedEvent, ChildMessage } from "./children/protocol.js";

/** RELIABILITY_SCALE multiplies every suite's size (default 1: the CI size, which meets the issue's minimums). */
const SCALE = Number(process.env.RELIABILITY_SCALE ?? "1");

/**
 * A suite's size: its own env var if set, else the CI default times RELIABILITY_SCALE.
 * @example sized("RELIABILITY_KILLS", 20)
 */
export const sized = (name: string, ciDefault: number): number => {
  const own = process.env[name];
  const value = own !== undefined && own !== "" ? Number(own) : Math.round(ciDefault * SCALE);
  if (!Number.isInteger(value) || value < 1)
    throw new Error(`${name} must be a positive integer (got ${own ?? value})`);
  return value;
};

/** The seed of this run: RELIABILITY_SEED replays a failing run exactly. */
export const runSeed = (): number => {
  const given = process.env.RELIABILITY_SEED;
  return given ? Number(given) : Math.floor(Math.random() * 2 ** 31);
};

const resultsDir = join(packageRoot, "reliability-results");

/** Print a suite's figures and keep them in reliability-results/<suite>.json (gitignored) for the README. */
export const recordFigures = (suite: string, figures: Record<string, unknown>): void => {
  mkdirSync(resultsDir, { recursive: true });
  const record = { suite, finishedAt: new Date().toISOString(), ...figures };
  writeFileSync(join(resultsDir, `${suite}.json`), `${JSON.stringify(record, null, 2)}\n`);
  console.log(`[reliability] ${suite}: ${JSON.stringify(figures)}`);
};

export type Exit = { code: number | null; signal: NodeJS.Signals | null };

/** A writer process a suite SIGKILLs: how to wait on it, whether it has started its work, how many acknowledgements it sent. */
export interface Killable {
  readonly proc: ChildProcess;
  /** Resolves once `condition` holds, checked now and after each line the process writes. */
  waitUntil(condition: () => boolean, timeoutMs?: number): Promise<void>;
  readonly exited: Promise<Exit>;
  stderr(): string;
  /** It is ready: killing it now kills it at work. */
  ready(): boolean;
  /** Acknowledgements sent so far (one per append). */
  acks(): number;
}

export interface Child extends Killable {
  readonly messages: ChildMessage[];
  /** Every event the child acknowledged, in the order it did. */
  readonly acked: AckedEvent[];
  readonly errors: Extract<ChildMessage, { t: "error" }>[];
}

const running = new Set<ChildProcess>();
/**
 * SIGKILL every process a suite started that still runs: a failed test must not leave writers
 * appending (or a restorer idling) after it. Also run when the test process exits.
 * @example afterAll(killLeftoverProcesses);
 */
export const killLeftoverProcesses = (): void => {
  for (const proc of running) if (proc.exitCode === null && proc.signalCode === null) proc.kill("SIGKILL");
};
process.on("exit", killLeftoverProcesses);

/**
 * Read a process's stdout line by line as it comes, its stderr as text, and wait on
 * conditions re-checked after each line (rejected if the process ends first).
 * @example const { waitUntil } = watchProcess(proc, "emit --follow", (line) => lines.push(line));
 */
export const watchProcess = (
  proc: ChildProcess,
  name: string,
  onLine: (line: string, stderr: (note: string) => void) => void,
): Pick<Killable, "waitUntil" | "exited" | "stderr"> => {
  running.add(proc);
  let stderr = "";
  proc.stderr?.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
  const waiters = new Set<() => void>();
  // spawn pipes stdout unless told otherwise; the type allows null for the other stdio settings.
  if (!proc.stdout) throw new Error(`${name} has no stdout pipe`);
  const lines = createInterface({ input: proc.stdout });
  lines.on("line", (line) => {
    onLine(line, (note) => (stderr += note));
    for (const wake of waiters) wake();
  });
  const exited = new Promise<Exit>((resolve) => {
    // 'close' fires after stdout is drained, so every line the process wrote has been read.
    proc.on("close", (code, signal) => {
      running.delete(proc);
      for (const wake of waiters) wake();
      resolve({ code, signal });
    });
  });
  const waitUntil = (condition: () => boolean, timeoutMs = 60_000) =>
    new Promise<void>((resolve, reject) => {
      const check = () => {
        if (condition()) return finish(resolve);
        if (proc.exitCode !== null || proc.signalCode !== null)
          return finish(() =>
            reject(
              new Error(
                `${name} exited (${proc.exitCode ?? proc.signalCode}) before the awaited message; stderr: ${stderr.slice(-2000)}`,
              ),
            ),
          );
      };
      const timer = setTimeout(
        () => finish(() => reject(new Error(`${name} timed out; stderr: ${stderr.slice(-2000)}`))),
        timeoutMs,
      );
      const finish = (then: () => void) => {
        clearTimeout(timer);
        waiters.delete(check);
        then();
      };
      waiters.add(check);
      check();
    });
  return { waitUntil, exited, stderr: () => stderr };
};

/**
 * Start test/reliability/children/<script> under tsx, reading its JSON lines as they come.
 * `shell` runs it through `bash -c` with that prefix (e.g. a ulimit).
 * @example const child = spawnChild("appender.ts", { DB: path, MODE: "single" });
 */
export const spawnChild = (
  script: string,
  env: Record<string, string>,
  options: { shellPrefix?: string } = {},
): Child => {
  const file = join(packageRoot, "test", "reliability", "children", script);
  const argv = [process.execPath, "--import", "tsx", file];
  const proc = options.shellPrefix
    ? spawn("bash", ["-c", `${options.shellPrefix}; exec "$@"`, "bash", ...argv], {
        env: { ...process.env, ...env },
        cwd: packageRoot,
      })
    : spawn(argv[0] ?? "node", argv.slice(1), { env: { ...process.env, ...env }, cwd: packageRoot });
  const messages: ChildMessage[] = [];
  const acked: AckedEvent[] = [];
  const errors: Extract<ChildMessage, { t: "error" }>[] = [];
  let acks = 0;
  const watched = watchProcess(proc, `child ${script}`, (line, note) => {
    let parsed: unknown;
    try {
      parsed = JSON.parse(line);
    } catch {
      note(`[non-JSON stdout] ${line}\n`);
      return;
    }
    const message = ChildMessage.parse(parsed);
    messages.push(message);
    if (message.t === "ack") {
      acks++;
      acked.push(...message.events);
    }
    if (message.t === "error") {
      errors.push(message);
      // A failure message names what the child threw, not only its exit code.
      note(`[error] ${message.name}${message.code === undefined ? "" : ` ${message.code}`}: ${message.message}\n`);
    }
  });
  return {
    proc,
    messages,
    acked,
    errors,
    ...watched,
    ready: () => messages.some((m) => m.t === "ready"),
    acks: () => acks,
  };
};

/** A new database file migrated by dbmate, as production does it. */
export const migratedDb = (dir: string, name = "store.db"): string => {
  const path = join(dir, name);
  openStore({ url: path, migrate: true }).close();
  return path;
};

/**
 * Every table of the database, read from sqlite_master when called: the log, the
 * projections, their summaries, the checkpoints, the counters and the migrations,
 * so "the state did not change" leaves no table out, even one a later migration adds.
 */
const tablesIn = (db: Db): string[] =>
  db
    .prepare(`SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name`)
    .pluck()
    .all()
    .map((n) => z.string().parse(n));

/**
 * Every row of a table in rowid order (sqlite_sequence by name), each value as
 * SQL's quote() prints it (so 1 and 1.0 and '1' differ).
 */
const dumpTable = (db: Db, table: string): string => {
  const columns = db
    .prepare(`SELECT name FROM pragma_table_info(?)`)
    .pluck()
    .all(table)
    .map((c) => z.string().parse(c));
  if (columns.length === 0) return `${table}: absent\n`;
  const select = columns.map((c) => `quote("${c}")`).join(" || ',' || ");
  // sqlite_sequence's rowids move when a counter is deleted and re-inserted (a rebuild does): order it by name.
  const order = table === "sqlite_sequence" ? "name" : "rowid";
  const rows = db.prepare(`SELECT ${select} FROM "${table}" ORDER BY ${order}`).pluck().all();
  return `${table}(${columns.join(",")})\n${rows.join("\n")}\n`;
};

/** A canonical text dump of the schema and of these tables (by default every table of the database). */
export const canonicalDump = (db: Db, tables: readonly string[] = tablesIn(db)): string => {
  const schema = db
    .prepare(`SELECT type || ' ' || name || ': ' || coalesce(sql, '') FROM sqlite_master ORDER BY type, name`)
    .pluck()
    .all()
    .join("\n");
  return `${schema}\n${tables.map((t) => dumpTable(db, t)).join("")}`;
};

export const sha256 = (text: string | Buffer): string => createHash("sha256").update(text).digest("hex");

/** sha256 of the canonical dump of the database at `path`: its schema and every table. */
export const stateHash = (path: string): string => {
  const db = openConnection(path, { readonly: true });
  try {
    return sha256(canonicalDump(db));
  } finally {
    db.close();
  }
};

/** sha256 of a file's bytes, for files that are not (or not valid) SQLite databases. */
export const fileHash = (path: string): string => sha256(readFileSync(path));

export interface LogShape {
  events: number;
  maxPosition: number;
  /** Positions 1..max with no hole (and the AUTOINCREMENT sequence at max). */
  gapless: boolean;
  /** Streams whose versions are not exactly 1..n. */
  brokenStreams: string[];
}

/** The log's invariants: gapless positions, stream versions 1..n. */
export const logShape = (db: Db): LogShape => {
  const Row = z.object({ n: z.number(), lo: z.number().nullable(), hi: z.number().nullable() });
  const { n, lo, hi } = Row.parse(
    db.prepare(`SELECT count(*) AS n, min(position) AS lo, max(position) AS hi FROM events`).get(),
  );
  const seq = db.prepare(`SELECT seq FROM sqlite_sequence WHERE name = 'events'`).pluck().get() ?? 0;
  const brokenStreams = db
    .prepare(
      `SELECT stream_id FROM events GROUP BY stream_id HAVING min(stream_version) != 1 OR max(stream_version) != count(*)`,
    )
    .pluck()
    .all()
    .map((s) => z.string().parse(s));
  return { events: n, maxPosition: hi ?? 0, gapless: n === 0 || (lo === 1 && hi === n && seq === n), brokenStreams };
};

/**
 * A temp folder that lives as long as the test process (test/support's tempDir
 * is removed after each test, too soon for a beforeAll).
 */
export const processTempDir = (): string => {
  const dir = mkdtempSync(join(tmpdir(), "ai-artist-store-reliability-"));
  process.on("exit", () => rmSync(dir, { recursive: true, force: true }));
  return dir;
};

let template: string | undefined;
/** One migrated database per test process, copied for each replay (dbmate runs once, not per replay). */
const replayTemplate = (): string => {
  template ??= migratedDb(processTempDir(), "replay-template.db");
  return template;
};

/**
 * An audit independent of the code under test's own: replay the log, through the
 * projection handlers, into a scratch database migrated the same way, and list the
 * tables (and AUTOINCREMENT sequences) that differ from the live ones.
 */
export const replayMismatches = (livePath: string, scratchDir: string): string[] => {
  const scratchPath = join(scratchDir, `replay-${Date.now()}-${Math.random().toString(36).slice(2)}.db`);
  copyFileSync(replayTemplate(), scratchPath);
  const live = openConnection(livePath, { readonly: true });
  const scratch = openConnection(scratchPath);
  try {
    const project = createProjector(scratch);
    const events = createLogReader(live).iterateAll({ pageSize: 5000 });
    scratch.transaction(() => {
      for (const e of events) project(e);
    })();
    const tables: string[] = Object.values(PROJECTIONS).flatMap((p) => p.tables);
    const sequences = (db: Db) =>
      db.prepare(`SELECT name, seq FROM sqlite_sequence WHERE name != 'events' ORDER BY name`).all();
    const differing = tables.filter((t) => dumpTable(live, t) !== dumpTable(scratch, t));
    if (JSON.stringify(sequences(live)) !== JSON.stringify(sequences(scratch))) differing.push("sqlite_sequence");
    return differing;
  } finally {
    live.close();
    scratch.close();
  }
};

/** The log rows of the given event ids, as [eventId, position, streamId, streamVersion]. */
export const logRowsById = (db: Db): Map<string, [number, string, number]> => {
  const Row = z.tuple([z.string(), z.number(), z.string(), z.number()]);
  const rows = db.prepare(`SELECT event_id, position, stream_id, stream_version FROM events`).raw().all();
  return new Map(
    rows.map((r) => Row.parse(r)).map(([id, position, stream, version]) => [id, [position, stream, version]]),
  );
};

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * SIGKILL a child at a random moment of its work: after it is ready, once it has
 * sent a random number of acknowledgements (at least `minAcks`, default 0), and a
 * random few milliseconds later. Resolves with how it ended and whether it was
 * still running when the signal went.
 */
export const killAtRandomMoment = async (
  child: Killable,
  random: () => number,
  options: { maxAcks: number; maxDelayMs: number; minAcks?: number },
) => {
  await child.waitUntil(() => child.ready());
  const minAcks = options.minAcks ?? 0;
  const acks = minAcks + Math.floor(random() * (options.maxAcks - minAcks + 1));
  await child.waitUntil(() => child.acks() >= acks);
  await sleep(Math.floor(random() * (options.maxDelayMs + 1)));
  const alive = child.proc.exitCode === null && child.proc.signalCode === null;
  child.proc.kill("SIGKILL");
  const exit = await child.exited;
  return { alive, ...exit };
};

/**
 * The store's own audit (replay into a scratch database, compare row by row):
 * the tables that drift, with their counts, so a failure message says where.
 */
export const auditDrift = (store: Store) =>
  auditProjections(store, { maxRows: 3 })
    .tables.filter((t) => t.counts.missing + t.counts.extra + t.counts.differing > 0 || t.sequence !== undefined)
    .map((t) => ({ table: t.table, ...t.counts, sequence: t.sequence }));

/**
 * A tmpfs of `sizeKb` mounted on a new folder (the test must run as root), or
 * undefined when mount is refused. `unmount` removes it.
 * @example const disk = mountTmpfs(1024); if (disk) try { ... } finally { disk.unmount(); }
 */
export const mountTmpfs = (parent: string, sizeKb: number): { dir: string; unmount: () => void } | undefined => {
  const dir = join(parent, `tmpfs-${sizeKb}k`);
  mkdirSync(dir);
  if (spawnSync("mount", ["-t", "tmpfs", "-o", `size=${sizeKb}k`, "tmpfs", dir]).status !== 0) return undefined;
  return { dir, unmount: () => void spawnSync("umount", ["-l", dir]) };
};

/**
 * A read-only view of a folder: a read-only bind mount when this process may
 * mount (root), else the folder itself made 0555 (which does not stop root).
 * `kind` says which; `release` undoes it.
 */
export const readOnlyView = (dir: string): { dir: string; kind: "bind mount" | "chmod 0555"; release: () => void } => {
  const view = `${dir}-read-only`;
  mkdirSync(view);
  const bind = spawnSync("mount", ["--bind", dir, view]).status === 0;
  if (bind && spawnSync("mount", ["-o", "remount,bind,ro", view]).status === 0)
    return { dir: view, kind: "bind mount", release: () => void spawnSync("umount", ["-l", view]) };
  if (bind) spawnSync("umount", ["-l", view]);
  chmodSync(dir, 0o555);
  return { dir, kind: "chmod 0555", release: () => chmodSync(dir, 0o700) };
};
