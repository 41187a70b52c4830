// npm run bench [-- --json FILE] [--full] [--huge]
// Every speed figure is a ratio against the raw-direct baseline measured in the same
// run on the same settings; absolute figures drift on a shared machine, ratios much less.
import { writeFileSync } from "node:fs";
import { cpus } from "node:os";
import { parseArgs } from "node:util";
import Table from "cli-table3";
import { openConnection } from "../../src/db/connection.js";
import { compareAppend, compareLogIndexes, workloadGroups } from "./append.js";
import {
  CLI_EMIT_IMAGES,
  cliEmitRows,
  compareFollowToFile,
  followToFileRow,
  MODES,
  measureCliEmit,
} from "./cliEmit.js";
import { compareProcesses } from "./concurrent.js";
import { consumerRows, consumerTable, measureConsumers } from "./consumers.js";
import { dashboardRows, measureDashboard } from "./dashboard.js";
import { hugeTables, measureHuge } from "./huge.js";
import { measurePostgres } from "./postgres.js";
import { loadImages, measureDocumentedQueries, measureIndexTable } from "./queries.js";
import { measureRebuild } from "./rebuild.js";
import { measureStartup } from "./startup.js";
import { measureStatistics, statisticsLines } from "./statistics.js";
import { cleanUp, dropDb, f, freshDb, loadAverage, log } from "./support.js";

// --huge adds the 10,000,000-event stage (scripts/bench/huge.ts, tens of minutes): never in the default run nor in CI.
const { values } = parseArgs({
  options: {
    json: { type: "string" },
    full: { type: "boolean", default: false },
    huge: { type: "boolean", default: false },
  },
});
const full = values.full ?? false;
const size = {
  batchedImages: full ? 250_000 : 50_000,
  singleImages: full ? 10_000 : 2_500,
  rounds: 3,
  processImages: full ? 50_000 : 10_000,
  processSingleImages: full ? 10_000 : 2_000,
  rebuildEvents: full ? [200_000, 2_000_000] : [200_000],
  queryImages: 1_000_000,
  // The follower's memory must be the same at both sizes (issue 14): 2,000,000 in the default run too.
  consumerEvents: [200_000, 2_000_000],
  // Written through the store (about 2 events per image): 1,000,000 takes several minutes, so only with --full.
  dashboardImages: full ? 1_000_000 : 100_000,
};

const started = performance.now();
const db = openConnection(freshDb("probe"));
const machine = {
  nproc: cpus().length,
  cpu: cpus()[0]?.model ?? "unknown",
  node: process.version,
  sqlite: String(db.prepare("SELECT sqlite_version()").pluck().get()),
  loadAverageAtStart: loadAverage(),
};
db.close();

log("append, batched (1,000 events per append) vs the hand-rolled log and raw-direct, batched");
const appendBatched = compareAppend(workloadGroups({ images: size.batchedImages }, 1000), size.rounds);
log("append, single (one event per transaction) vs the hand-rolled log and raw-direct, single");
const appendSingle = compareAppend(workloadGroups({ images: size.singleImages }, 1), size.rounds);
log("log indexes: append now vs with idx_events_type and idx_events_occurred_at put back");
const logIndexes = {
  batched: compareLogIndexes(workloadGroups({ images: size.batchedImages / 2 }, 1000), size.rounds),
  single: compareLogIndexes(workloadGroups({ images: size.singleImages }, 1), size.rounds),
};
log("8 processes appending at once vs 1 process");
const processes = {
  batched: await compareProcesses(8, size.processImages, 1000, 1),
  single: await compareProcesses(8, size.processSingleImages, 1, 1),
};
log("CLI emit (JSON lines through bin/artist-store.js) vs store.append with the same grouping");
const cliEmit = await measureCliEmit(MODES(CLI_EMIT_IMAGES), size.rounds);
log("CLI emit --follow < FILE (group commit) vs emit FILE on the same file");
const emitFollow = await compareFollowToFile(CLI_EMIT_IMAGES.batched, size.rounds);
log("start-up of the compiled CLI: --version and query recent against node -e 0");
const startup = measureStartup(15);
log("rebuild and audit");
const rebuild = size.rebuildEvents.map((n) => measureRebuild(n));
log("consumers: delivery, follow latency, idle CPU, slow-reader memory");
const consumers = await measureConsumers(size.consumerEvents, size.rounds);
log(`queries: loading ${size.queryImages.toLocaleString("en")} images`);
const loaded = loadImages(size.queryImages);
const documented = measureDocumentedQueries(loaded.path);
log("queries: the document's index table");
const indexes = measureIndexTable(loaded.path);
log("queries: without the planner's statistics and with them (alternating rounds), and what refreshing them costs");
const statistics = measureStatistics(loaded.path, size.queryImages, size.rounds);
dropDb(loaded.path);
log("PostgreSQL: append batched and single from 1, 4 and 8 processes vs raw-direct to the same tables");
const postgres = await measurePostgres({
  batchedImages: full ? 20_000 : 5_000,
  singleImages: full ? 2_000 : 500,
  rounds: full ? 3 : 1,
});
log(`dashboard: ${size.dashboardImages.toLocaleString("en")} images written through the store, then served`);
const dashboard = await measureDashboard({ images: size.dashboardImages });
const HUGE_EVENTS = 10_000_000;
if (values.huge) log(`huge: ${HUGE_EVENTS.toLocaleString("en")} events through the store, then measured`);
const huge = values.huge ? measureHuge(HUGE_EVENTS) : undefined;
cleanUp();

const results = {
  machine: { ...machine, loadAverageAtEnd: loadAverage() },
  full,
  seconds: (performance.now() - started) / 1000,
  // Stable keys for checks that read this file: append.batched.ratioToHandRolled, append.single.ratioToHandRolled, …
  append: { batched: appendBatched, single: appendSingle },
  logIndexes,
  processes,
  cliEmit,
  emitFollow,
  // startup.versionRatio, startup.queryRatio: the compiled CLI against `node -e 0`, median of per-run ratios.
  startup,
  rebuild: rebuild.map((r) => ({ ...r, ratioToRawBatched: r.rebuildEventsPerSec / appendBatched.rawEventsPerSec })),
  // rebuildLock.lockMs: the write lock of the largest rebuild of the run; lockRatio: largest over smallest (with --full, 2M over 200k).
  rebuildLock: {
    events: rebuild.map((r) => r.events),
    lockMs: rebuild.at(-1)?.lockMs,
    lockRatio: (rebuild.at(-1)?.lockMs ?? Number.NaN) / (rebuild[0]?.lockMs ?? Number.NaN),
  },
  consumers,
  queries: { images: size.queryImages, loadSeconds: loaded.seconds, documented, indexes },
  // statistics.analyzeMs; statistics.withoutStats.<query>.p50Ms|p99Ms, statistics.withStats.<query>.p50Ms|p99Ms;
  // statistics.plans.<query>.without|with (docs/performance.md#planner-statistics).
  statistics,
  dashboard,
  postgres,
  // huge.*: only with --huge (docs/performance.md#scale-10-million-events---huge).
  ...(huge ? { huge } : {}),
};

const speed = new Table({
  head: ["figure", "events", "events/s", "baseline events/s", "ratio (wall)", "ratio (CPU)", "target"],
});
speed.push(
  ...(["batched", "single"] as const).flatMap((mode) => {
    const c = mode === "batched" ? appendBatched : appendSingle;
    const same = c.sameEndState ? "" : " (END STATES DIFFER)";
    return [
      [
        `append ${mode} vs hand-rolled log ${mode}`,
        f(c.events),
        f(c.appendEventsPerSec),
        f(c.handRolledEventsPerSec),
        f(c.ratioToHandRolled, 2),
        f(c.cpuRatioToHandRolled, 2),
        `≥ 0.90${same}`,
      ],
      [
        `append ${mode} vs raw-direct ${mode}`,
        f(c.events),
        f(c.appendEventsPerSec),
        f(c.rawEventsPerSec),
        f(c.ratioToRawDirect, 2),
        f(c.cpuRatioToRawDirect, 2),
        "",
      ],
      [
        `hand-rolled log ${mode} vs raw-direct ${mode}`,
        f(c.events),
        f(c.handRolledEventsPerSec),
        f(c.rawEventsPerSec),
        f(c.handRolledRatioToRawDirect, 2),
        f(c.handRolledCpuRatioToRawDirect, 2),
        "",
      ],
    ];
  }),
  [
    "8 processes vs 1, batched",
    f(processes.batched.events),
    f(processes.batched.manyProcessesEventsPerSec),
    f(processes.batched.oneProcessEventsPerSec),
    f(processes.batched.ratio, 2),
    "",
    `≥ 0.80 (busy errors: ${processes.batched.busyErrors}; append p50/p99 ms: 1 process ` +
      `${f(processes.batched.oneProcessLatencyMs.p50, 2)}/${f(processes.batched.oneProcessLatencyMs.p99, 2)}, 8 processes ` +
      `${f(processes.batched.manyProcessesLatencyMs.p50, 2)}/${f(processes.batched.manyProcessesLatencyMs.p99, 2)})`,
  ],
  [
    "8 processes vs 1, single",
    f(processes.single.events),
    f(processes.single.manyProcessesEventsPerSec),
    f(processes.single.oneProcessEventsPerSec),
    f(processes.single.ratio, 2),
    "",
    `≥ 0.80 (busy errors: ${processes.single.busyErrors}; append p50/p99 ms: 1 process ` +
      `${f(processes.single.oneProcessLatencyMs.p50, 2)}/${f(processes.single.oneProcessLatencyMs.p99, 2)}, 8 processes ` +
      `${f(processes.single.manyProcessesLatencyMs.p50, 2)}/${f(processes.single.manyProcessesLatencyMs.p99, 2)})`,
  ],
  ...cliEmitRows(cliEmit),
  followToFileRow(emitFollow),
  [
    "start-up: artist-store --version (dist/) vs node -e 0",
    "",
    `${f(startup.versionMs)} ms`,
    `${f(startup.nodeMs)} ms`,
    f(startup.versionRatio, 2),
    "",
    "≤ 3",
  ],
  [
    "start-up: artist-store query recent, demo database (dist/) vs node -e 0",
    "",
    `${f(startup.queryMs)} ms`,
    `${f(startup.nodeMs)} ms`,
    f(startup.queryRatio, 2),
    "",
    "≤ 5",
  ],
  ...results.rebuild.map((r) => [
    `rebuild ${f(r.events)} events vs raw-direct batched`,
    f(r.events),
    f(r.rebuildEventsPerSec),
    f(appendBatched.rawEventsPerSec),
    f(r.ratioToRawBatched, 2),
    "",
    `≥ 1.20; peak RSS ${f(r.peakRssMb)} MB; write lock ${f(r.lockMs)} ms`,
  ]),
  ...results.rebuild.map((r) => [
    `audit ${f(r.events)} events`,
    f(r.events),
    f(r.auditEventsPerSec),
    "",
    "",
    "",
    r.auditOk ? "ok" : "DRIFT",
  ]),
  ...consumerRows(consumers),
  ...postgres.map((r) => [r.label, f(r.events), f(r.eventsPerSec), f(r.rawEventsPerSec), f(r.ratio, 2), "", ""]),
  [
    "append now vs old log indexes, batched",
    f(logIndexes.batched.events),
    "",
    "",
    f(logIndexes.batched.speedup, 2),
    f(logIndexes.batched.cpuSpeedup, 2),
    "> 1: the drop paid",
  ],
  [
    "append now vs old log indexes, single",
    f(logIndexes.single.events),
    "",
    "",
    f(logIndexes.single.speedup, 2),
    f(logIndexes.single.cpuSpeedup, 2),
    "> 1: the drop paid",
  ],
);
console.log(speed.toString());
const [smallRebuild, largeRebuild] = rebuild;
if (smallRebuild && largeRebuild) {
  const sizes = rebuild.map((r) => `${f(r.peakRssMb)} MB at ${f(r.events)} events`).join(", ");
  const ratio = f(largeRebuild.peakRssMb / smallRebuild.peakRssMb, 2);
  console.log(`peak RSS of rebuild: ${sizes} (ratio ${ratio}, target ≤ 1.20)`);
  const locks = rebuild.map((r) => `${f(r.lockMs)} ms at ${f(r.events)} events`).join(", ");
  console.log(`write lock of rebuild: ${locks} (ratio ${f(largeRebuild.lockMs / smallRebuild.lockMs, 2)}, target ≤ 2)`);
}

console.log(consumerTable(consumers));

const queryTable = new Table({
  head: [`query (${f(size.queryImages)} images)`, "rows", "p50 ms", "p99 ms", "EXPLAIN QUERY PLAN"],
  colWidths: [28, 6, 9, 9, 70],
  wordWrap: true,
});
for (const q of documented) queryTable.push([q.query, q.rows, f(q.p50Ms, 3), f(q.p99Ms, 3), q.plan]);
console.log(queryTable.toString());
const indexTable = new Table({
  head: ["index", "purpose", "with (p50 ms)", "without (p50 ms)", "speedup", "document", "plan with / without"],
  colWidths: [22, 26, 10, 10, 9, 9, 50],
  wordWrap: true,
});
for (const i of indexes)
  indexTable.push([
    i.index,
    i.purpose,
    f(i.withIndexP50Ms, 3),
    f(i.withoutIndexP50Ms, 1),
    `${f(i.speedup)}x`,
    i.claim,
    `${i.planWith} / ${i.planWithout}`,
  ]);
console.log(indexTable.toString());
console.log(statisticsLines(statistics).join("\n"));
console.log(dashboardRows(dashboard).toString());
if (huge) console.log(hugeTables(huge));
const load = `load average ${machine.loadAverageAtStart.join(" ")} at start, ${results.machine.loadAverageAtEnd.join(" ")} at end`;
console.log(
  `${machine.nproc} × ${machine.cpu}, Node ${machine.node}, SQLite ${machine.sqlite}; ${load}; ${f(results.seconds)} s`,
);
if (values.json) {
  writeFileSync(values.json, `${JSON.stringify(results, null, 2)}\n`);
  log(`wrote ${values.json}`);
}
