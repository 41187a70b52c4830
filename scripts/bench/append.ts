// Append throughput against the raw-direct baseline, batched and one event per transaction.
import { type Db, openConnection } from "../../src/db/connection.js";
import { type WorkloadOptions, workload } from "../../src/demo/workload.js";
import { type NewEvent, openStore } from "../../src/index.js";
import { projectionDigests } from "../../src/replay/tables.js";
import { handRolledWriter } from "./handRolled.js";
import { rawDirectWriter } from "./rawDirect.js";
import { dropDb, freshDb, measure, median, pairwise } from "./support.js";

/** A digest of the projected tables, to prove two paths reached the same end state. */
export const tablesDigest = (db: Db): string => JSON.stringify(projectionDigests(db));

export interface PathRun {
  seconds: number;
  cpuSeconds: number;
  digest: string | undefined;
}

/** Groups of events, one transaction (or append call) each, made afresh for every run so no run pays for a large live heap. */
export type Groups = () => Iterable<readonly NewEvent[]>;

/** Time `write` over each group, leaving the making of the groups out of the clock. */
const timeGroups = (groups: Groups, write: (g: readonly NewEvent[]) => void): { wall: number; cpu: number } => {
  let wall = 0;
  let cpu = 0;
  for (const g of groups()) {
    const m = measure(() => write(g));
    wall += m.wall;
    cpu += m.cpu;
  }
  return { wall, cpu };
};

/** Write the groups (one transaction each) straight into the tables. */
export const runRaw = (groups: Groups, digest = false): PathRun => {
  const path = freshDb("raw");
  const db = openConnection(path);
  const write = rawDirectWriter(db);
  const m = timeGroups(groups, write);
  const result = {
    seconds: m.wall,
    cpuSeconds: m.cpu,
    digest: digest ? tablesDigest(db) : undefined,
  };
  db.close();
  dropDb(path);
  return result;
};

/** Write the groups (one transaction each) into the hand-rolled log of issue 13 and the store's projections. */
export const runHandRolled = (groups: Groups, digest = false): PathRun => {
  const path = freshDb("hand");
  const db = openConnection(path);
  const write = handRolledWriter(db);
  const m = timeGroups(groups, write);
  const result = { seconds: m.wall, cpuSeconds: m.cpu, digest: digest ? tablesDigest(db) : undefined };
  db.close();
  dropDb(path);
  return result;
};

/** Append the groups (one append call each) through the store. */
export const runAppend = (groups: Groups, digest = false, setupSql = ""): PathRun => {
  const path = freshDb("append");
  const store = openStore({ url: `sqlite:${path}` });
  if (setupSql) store.db.exec(setupSql);
  const m = timeGroups(groups, (g) => store.append(g));
  const result = {
    seconds: m.wall,
    cpuSeconds: m.cpu,
    digest: digest ? tablesDigest(store.db) : undefined,
  };
  store.close();
  dropDb(path);
  return result;
};

export interface Comparison {
  events: number;
  rounds: number;
  rawEventsPerSec: number;
  appendEventsPerSec: number;
  handRolledEventsPerSec: number;
  /** Median over rounds of append/raw, each round measured back to back. */
  ratioToRawDirect: number;
  /** The same ratio from CPU time (user + system) of this process: barely moved by other processes on a shared machine. */
  cpuRatioToRawDirect: number;
  /** Median over rounds of append/hand-rolled (issue 13's target 1), wall and CPU. */
  ratioToHandRolled: number;
  cpuRatioToHandRolled: number;
  /** The hand-rolled log against raw-direct: what a log costs at all. */
  handRolledRatioToRawDirect: number;
  handRolledCpuRatioToRawDirect: number;
  /** All three paths left the same projection tables (first round). */
  sameEndState: boolean;
}

/**
 * Raw-direct, the hand-rolled log and append, alternating, `rounds` times on fresh
 * databases; each ratio is the median of per-round ratios.
 */
export const compareAppend = (groups: Groups, rounds: number): Comparison => {
  let events = 0;
  for (const g of groups()) events += g.length;
  const raw: PathRun[] = [];
  const hand: PathRun[] = [];
  const app: PathRun[] = [];
  let sameEndState = true;
  for (let r = 0; r < rounds; r++) {
    const a = runRaw(groups, r === 0);
    const h = runHandRolled(groups, r === 0);
    const b = runAppend(groups, r === 0);
    if (r === 0) sameEndState = a.digest === b.digest && h.digest === b.digest;
    raw.push(a);
    hand.push(h);
    app.push(b);
  }
  const perSec = (runs: PathRun[]) => events / median(runs.map((r) => r.seconds));
  const wall = (x: PathRun, y: PathRun) => x.seconds / y.seconds;
  const cpu = (x: PathRun, y: PathRun) => x.cpuSeconds / y.cpuSeconds;
  return {
    events,
    rounds,
    rawEventsPerSec: perSec(raw),
    appendEventsPerSec: perSec(app),
    handRolledEventsPerSec: perSec(hand),
    ratioToRawDirect: median(pairwise(raw, app, wall)),
    cpuRatioToRawDirect: median(pairwise(raw, app, cpu)),
    ratioToHandRolled: median(pairwise(hand, app, wall)),
    cpuRatioToHandRolled: median(pairwise(hand, app, cpu)),
    handRolledRatioToRawDirect: median(pairwise(raw, hand, wall)),
    handRolledCpuRatioToRawDirect: median(pairwise(raw, hand, cpu)),
    sameEndState,
  };
};

/** The workload cut into groups of `perGroup` events, generated lazily. */
export const workloadGroups = (options: WorkloadOptions, perGroup: number): Groups =>
  function* () {
    let group: NewEvent[] = [];
    for (const e of workload(options)) {
      group.push(e);
      if (group.length === perGroup) {
        yield group;
        group = [];
      }
    }
    if (group.length > 0) yield group;
  };

/** The log's indexes dropped by migration 20260103000001, put back: the append it cost. */
export const OLD_LOG_INDEXES =
  "CREATE INDEX idx_events_type ON events(type); CREATE INDEX idx_events_occurred_at ON events(occurred_at);";

export interface Ablation {
  events: number;
  perAppend: number;
  /** Appends/s now over appends/s with the old indexes (above 1: dropping them paid). */
  speedup: number;
  cpuSpeedup: number;
}

/** Append with and without the old log indexes, alternating, on fresh databases. */
export const compareLogIndexes = (groups: Groups, rounds: number): Ablation => {
  let events = 0;
  let perAppend = 0;
  for (const g of groups()) {
    events += g.length;
    perAppend = Math.max(perAppend, g.length);
  }
  const now: PathRun[] = [];
  const old: PathRun[] = [];
  for (let r = 0; r < rounds; r++) {
    old.push(runAppend(groups, false, OLD_LOG_INDEXES));
    now.push(runAppend(groups));
  }
  return {
    events,
    perAppend,
    speedup: median(pairwise(old, now, (o, n) => o.seconds / n.seconds)),
    cpuSpeedup: median(pairwise(old, now, (o, n) => o.cpuSeconds / n.cpuSeconds)),
  };
};
