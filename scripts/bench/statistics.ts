// npx tsx scripts/bench/statistics.ts [--images N] [--rounds R]
// The documented queries without the planner's statistics and with them (issue 13, target 6):
// EXPLAIN QUERY PLAN and p50/p99 of each, alternating in rounds (the statistics taken away
// and put back between them), and what refreshing them costs at this size.
import { pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import { z } from "zod";
import { type Db, openConnection } from "../../src/db/connection.js";
import {
  ANALYSIS_LIMIT,
  analyzeTables,
  analyzeWhereNeeded,
  optimizeBeforeClose,
  refreshStatistics,
} from "../../src/db/statistics.js";
import { openStore, QUERY_NAMES } from "../../src/index.js";

type QueryName = (typeof QUERY_NAMES)[number];

import { explainQuery } from "../../src/maintenance/doctor.js";
import { QUERY_SQL } from "../../src/queries/index.js";
import { tablesOf } from "../../src/replay/tables.js";
import { latency, loadImages } from "./queries.js";
import { dropDb, log, measure, median } from "./support.js";

const Rows = z.array(z.array(z.unknown()));

interface Latency {
  p50Ms: number;
  p99Ms: number;
}

export interface StatisticsFigures {
  images: number;
  rounds: number;
  analysisLimit: number;
  /** `artist-store optimize` on the database without statistics (PRAGMA optimize=0x10002 within the limit): wall ms. */
  analyzeMs: number;
  analyzeCpuMs: number;
  /** The tables it analyzed. */
  analyzed: string[];
  /** ANALYZE of the whole database with no limit, for comparison: wall ms. */
  fullAnalyzeMs: number;
  fullAnalyzeCpuMs: number;
  /** What rebuild adds after its swap: ANALYZE of the projection tables within the limit, wall ms. */
  rebuildAnalyzeMs: number;
  rebuildAnalyzeCpuMs: number;
  /** What a long-lived process runs at open (PRAGMA optimize=0x10002 within the limit), statistics current: wall ms. */
  refreshAtOpenMs: number;
  /** PRAGMA optimize before close, on a connection that ran the five queries, statistics current: wall ms. */
  optimizeAtCloseMs: number;
  withoutStats: Record<string, Latency>;
  withStats: Record<string, Latency>;
  /** p50 without over p50 with (above 1: the statistics made the query faster). */
  ratios: Record<string, number>;
  plans: Record<string, { without: string; with: string; withFullAnalyze: string }>;
}

/**
 * The five queries, and "recent" as it would be without its INDEXED BY: the hint pins the plan
 * that statistics let the planner find on its own.
 */
const UNPINNED = "recentHighQualityImagesUnpinned";
const CASES: readonly string[] = [...QUERY_NAMES, UNPINNED];
const queryNamed = (q: string): QueryName | undefined => QUERY_NAMES.find((n) => n === q);
const sqlOf = (q: string): string =>
  q === UNPINNED
    ? QUERY_SQL.recentHighQualityImages.replace(" INDEXED BY idx_status_created", "")
    : QUERY_SQL[queryNamed(q) ?? "recentHighQualityImages"];

const planOf = (db: Db, query: string): string =>
  explainQuery(db, query, sqlOf(query))
    .plan.map((l) => l.trim())
    .join("; ");

/** The five queries through a read-only store (its close writes no statistics): p50/p99 and plans. */
const measureQueries = (path: string) => {
  const store = openStore({ url: path, readOnly: true, stale: "ignore" });
  try {
    const unpinned = store.db.prepare(sqlOf(UNPINNED));
    return Object.fromEntries(
      CASES.map((q) => {
        const name = queryNamed(q);
        const run = () => (name ? store.queries[name]() : unpinned.all({ minScore: 7, limit: 10 }));
        const { p50, p99 } = latency(run, 200, 1500);
        return [q, { p50Ms: p50, p99Ms: p99, plan: planOf(store.db, q) }];
      }),
    );
  } finally {
    store.close();
  }
};

const statTables = (db: Db): string[] =>
  z
    .array(z.string())
    .parse(
      db.prepare(`SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE 'sqlite_stat%'`).pluck().all(),
    );

/** Take the statistics out (returning them) or put them back; a new connection then plans with what is there. */
const saveStatistics = (db: Db) =>
  Object.fromEntries(statTables(db).map((t) => [t, Rows.parse(db.prepare(`SELECT * FROM ${t}`).raw().all())]));
const clearStatistics = (db: Db) => {
  for (const t of statTables(db)) db.exec(`DELETE FROM ${t}`);
};
const restoreStatistics = (db: Db, saved: Record<string, unknown[][]>) =>
  db.transaction(() => {
    clearStatistics(db);
    for (const [t, rows] of Object.entries(saved)) {
      const first = rows[0];
      if (!first) continue;
      const insert = db.prepare(`INSERT INTO ${t} VALUES (${first.map(() => "?").join(", ")})`);
      for (const row of rows) insert.run(...row);
    }
  })();

/** Measure on a loaded database (no statistics yet): cost of refreshing them, then the queries without and with, in rounds. */
export const measureStatistics = (path: string, images: number, rounds = 3): StatisticsFigures => {
  const clear = openConnection(path);
  clearStatistics(clear);
  clear.close();
  // A connection loads the statistics as it reads the schema: each step opens its own, as a process would.
  const db = openConnection(path);
  const plansWithout = measureQueries(path);
  let analyzed: string[] = [];
  const analyze = measure(() => {
    analyzed = analyzeWhereNeeded(db);
  });
  const limited = saveStatistics(db);
  const rebuildAnalyze = measure(() => analyzeTables(db, tablesOf(), 5000));
  const plansWith = measureQueries(path);
  const full = measure(() => db.exec("ANALYZE"));
  const plansFull = measureQueries(path);
  restoreStatistics(db, limited);
  db.close();

  const atClose = openConnection(path);
  const store = openStore({ url: path, readOnly: true, stale: "ignore" });
  for (const q of QUERY_NAMES) store.queries[q]();
  store.close();
  for (const q of QUERY_NAMES) atClose.prepare(QUERY_SQL[q]).all({ minScore: 7, limit: 10 });
  const optimizeAtClose = measure(() => optimizeBeforeClose(atClose, 5000));
  atClose.close();
  const atOpen = openConnection(path);
  const refreshAtOpen = measure(() => refreshStatistics(atOpen, 5000));
  atOpen.close();

  const samples: Record<"without" | "with", Record<string, Latency[]>> = { without: {}, with: {} };
  const toggle = openConnection(path);
  for (let round = 0; round < rounds; round++) {
    for (const mode of round % 2 === 0 ? (["without", "with"] as const) : (["with", "without"] as const)) {
      if (mode === "without") clearStatistics(toggle);
      else restoreStatistics(toggle, limited);
      for (const [q, figure] of Object.entries(measureQueries(path))) {
        samples[mode][q] ??= [];
        samples[mode][q]?.push(figure);
      }
    }
  }
  restoreStatistics(toggle, limited);
  toggle.close();
  const summarise = (by: Record<string, Latency[]>) =>
    Object.fromEntries(
      Object.entries(by).map(([q, xs]) => [
        q,
        { p50Ms: median(xs.map((x) => x.p50Ms)), p99Ms: median(xs.map((x) => x.p99Ms)) },
      ]),
    );
  const withoutStats = summarise(samples.without);
  const withStats = summarise(samples.with);
  return {
    images,
    rounds,
    analysisLimit: ANALYSIS_LIMIT,
    analyzeMs: analyze.wall * 1000,
    analyzeCpuMs: analyze.cpu * 1000,
    analyzed,
    fullAnalyzeMs: full.wall * 1000,
    fullAnalyzeCpuMs: full.cpu * 1000,
    rebuildAnalyzeMs: rebuildAnalyze.wall * 1000,
    rebuildAnalyzeCpuMs: rebuildAnalyze.cpu * 1000,
    optimizeAtCloseMs: optimizeAtClose.wall * 1000,
    refreshAtOpenMs: refreshAtOpen.wall * 1000,
    withoutStats,
    withStats,
    ratios: Object.fromEntries(
      CASES.map((q) => [q, (withoutStats[q]?.p50Ms ?? Number.NaN) / (withStats[q]?.p50Ms ?? Number.NaN)]),
    ),
    plans: Object.fromEntries(
      CASES.map((q) => [
        q,
        {
          without: plansWithout[q]?.plan ?? "",
          with: plansWith[q]?.plan ?? "",
          withFullAnalyze: plansFull[q]?.plan ?? "",
        },
      ]),
    ),
  };
};

/** Lines for the report: figures, then each query's two plans where they differ. */
export const statisticsLines = (s: StatisticsFigures): string[] => {
  const f = (x: number, d = 3) => x.toFixed(d);
  return [
    `planner statistics at ${s.images.toLocaleString("en")} images (median of ${s.rounds} alternating rounds):`,
    `  optimize (0x10002, analysis_limit ${s.analysisLimit}): ${f(s.analyzeMs, 1)} ms wall, ${f(s.analyzeCpuMs, 1)} ms CPU, analyzed ${s.analyzed.join(", ")}`,
    `  full ANALYZE (no limit): ${f(s.fullAnalyzeMs, 1)} ms wall, ${f(s.fullAnalyzeCpuMs, 1)} ms CPU; rebuild's ANALYZE of its tables: ${f(s.rebuildAnalyzeMs, 1)} ms wall, ${f(s.rebuildAnalyzeCpuMs, 1)} ms CPU; statistics current: optimize at close ${f(s.optimizeAtCloseMs, 2)} ms, at a long-lived open ${f(s.refreshAtOpenMs, 2)} ms`,
    ...CASES.flatMap((q) => {
      const w = s.withoutStats[q];
      const h = s.withStats[q];
      const p = s.plans[q];
      return [
        `  ${q}: without p50 ${f(w?.p50Ms ?? Number.NaN)} p99 ${f(w?.p99Ms ?? Number.NaN)} ms; with p50 ${f(h?.p50Ms ?? Number.NaN)} p99 ${f(h?.p99Ms ?? Number.NaN)} ms; ratio ${f(s.ratios[q] ?? Number.NaN, 2)}`,
        `    plan without: ${p?.without}`,
        `    plan with:    ${p?.with}${p?.withFullAnalyze !== p?.with ? `\n    plan with a full ANALYZE: ${p?.withFullAnalyze}` : ""}`,
      ];
    }),
  ];
};

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const { values } = parseArgs({
    options: { images: { type: "string", default: "1000000" }, rounds: { type: "string", default: "3" } },
  });
  const images = Number(values.images);
  log(`statistics: loading ${images.toLocaleString("en")} images`);
  const loaded = loadImages(images);
  const figures = measureStatistics(loaded.path, images, Number(values.rounds));
  dropDb(loaded.path);
  console.log(statisticsLines(figures).join("\n"));
  console.log(JSON.stringify({ statistics: figures }, null, 2));
}
