// The dashboard at scale: API latency per endpoint and page load in chromium, p50/p99, on a log
// written through the store; the cost of time travel and of the integrity checks on it.
// Alone: npx tsx scripts/bench/dashboard.ts [--images 1000000] [--json FILE]
//        npx tsx scripts/bench/dashboard.ts --db PATH   (a log written before: measured, not deleted)
import { existsSync, statSync, writeFileSync } from "node:fs";
import { loadavg } from "node:os";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import Table from "cli-table3";
import { z } from "zod";
import { openStore } from "../../src/index.js";
import { startDashboard } from "../../src/serve/server.js";
import { workloadGroups } from "./append.js";
import { cleanUp, dropDb, freshDb, log, quantile, time } from "./support.js";

const CHROMIUM = "/usr/bin/chromium";

/** p50 and p99 of a list of milliseconds, and how many samples they come from. */
export interface Latency {
  p50Ms: number;
  p99Ms: number;
  samples: number;
}

export interface DashboardFigures {
  images: number;
  events: number;
  buildLogSeconds: number;
  /** Per endpoint (a stable name), the latency of a GET through HTTP on 127.0.0.1. */
  api: Record<string, Latency>;
  /** Per page, navigation to drawn (the page's data-ready marker) in chromium; empty without chromium. */
  pages: Record<string, Latency>;
  asOf: { position: number; events: number; replayMs: number; eventsPerSec: number };
  integrity: { quickMs: number; fullMs: number };
  databaseBytes: number;
  /** The machine's 1-minute load average when the measurements started and ended: latencies follow it. */
  loadAverage: { start: number; end: number };
}

const latency = (samples: number[]): Latency => ({
  p50Ms: quantile(samples, 0.5),
  p99Ms: quantile(samples, 0.99),
  samples: samples.length,
});

/** Milliseconds of each of `n` runs of fn, after `warmup` unmeasured ones. */
const sample = async (n: number, warmup: number, fn: () => Promise<void>): Promise<number[]> => {
  for (let i = 0; i < warmup; i++) await fn();
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    await fn();
    out.push(performance.now() - t0);
  }
  return out;
};

/**
 * Write a log of `images` workload images through the store, serve it, and measure every endpoint
 * (`requests` times each) and every page (`pageLoads` times each, when chromium is installed).
 */
export const measureDashboard = async ({
  images,
  requests = 50,
  pageLoads = 10,
  db,
}: {
  images: number;
  requests?: number;
  pageLoads?: number;
  /** A database written before by this benchmark: measured as it is, and kept. */
  db?: string;
}): Promise<DashboardFigures> => {
  const path = db ?? freshDb("dashboard");
  const writer = openStore({ url: path });
  const buildLogSeconds =
    db !== undefined
      ? 0
      : time(() => {
          for (const g of workloadGroups({ images, seed: 5, pendingShare: 0.01 }, 1000)()) writer.append(g);
        });
  const head = writer.headPosition();
  const imageCount = z.number().int().parse(writer.db.prepare("SELECT count(*) FROM generated_images").pluck().get());
  const image = String(writer.queries.recentHighQualityImages({ limit: 1 })[0]?.filename);
  writer.close();
  log(
    `  ${imageCount.toLocaleString("en")} images, ${head.toLocaleString("en")} events written in ${buildLogSeconds.toFixed(0)} s`,
  );
  const asOfPosition = Math.min(head - 1, 200_000);
  const loadAtStart = loadavg()[0] ?? Number.NaN;
  const dashboard = await startDashboard({
    url: path,
    port: 0,
    host: "127.0.0.1",
    asOf: { maxEvents: head, budgetMs: 3_600_000 },
  });
  try {
    const get = async (p: string) => {
      const response = await fetch(new URL(p, dashboard.url));
      if (!response.ok) throw new Error(`GET ${p}: ${response.status} ${await response.text()}`);
      await response.arrayBuffer();
    };
    const pageTwo = async (p: string): Promise<string> => {
      const body = (await (await fetch(new URL(p, dashboard.url))).json()) as { next: unknown };
      return `${p}&cursor=${encodeURIComponent(String(body.next))}`;
    };
    const endpoints: Record<string, string> = {
      overview: "/api/overview",
      images: "/api/images",
      imagesFeatured: "/api/images?featured=true",
      imagesCurated: "/api/images?status=curated&minScore=8",
      imagesModel: "/api/images?model=sdxl-lora/portrait_style_v2",
      imagesTag: "/api/images?tag=winter",
      imagesRecent: "/api/images?sort=recent",
      imagesNextPage: await pageTwo("/api/images?limit=24"),
      models: "/api/models",
      training: "/api/training",
      events: "/api/events",
      eventsNextPage: await pageTwo("/api/events?limit=50"),
      eventsByTypeWindow: "/api/events?type=TrainingFailed",
      eventsByStream: `/api/events?stream=${encodeURIComponent(`image:${image}`)}`,
      // One window of SCAN_WINDOW positions: a filter on time (or type) reads at most that per request.
      eventsByTimeWindow: "/api/events?until=2025-01-02T00:00:00Z",
      stream: `/api/stream?id=${encodeURIComponent(`image:${image}`)}`,
      health: "/health",
    };
    const api: Record<string, Latency> = {};
    for (const [name, p] of Object.entries(endpoints)) {
      api[name] = latency(await sample(requests, 3, () => get(p)));
      log(`  GET ${p}: p50 ${api[name].p50Ms.toFixed(1)} ms, p99 ${api[name].p99Ms.toFixed(1)} ms`);
    }
    // Time travel replays, then keeps the replay: the first request pays, the next ones read it.
    const t0 = performance.now();
    await get(`/api/overview?asOfPosition=${asOfPosition}`);
    const replayMs = performance.now() - t0;
    api.overviewAsOfCached = latency(
      await sample(requests, 1, () => get(`/api/overview?asOfPosition=${asOfPosition}`)),
    );
    const integrity = {
      quickMs: (await sample(1, 0, () => get("/api/integrity?mode=quick")))[0] ?? Number.NaN,
      fullMs: (await sample(1, 0, () => get("/api/integrity?mode=full")))[0] ?? Number.NaN,
    };
    log(
      `  as of position ${asOfPosition}: ${replayMs.toFixed(0)} ms; integrity quick ${integrity.quickMs.toFixed(0)} ms, full ${integrity.fullMs.toFixed(0)} ms`,
    );
    const pages = existsSync(CHROMIUM) ? await measurePages(dashboard.url, image, pageLoads) : {};
    return {
      images: imageCount,
      events: head,
      buildLogSeconds,
      api,
      pages,
      asOf: { position: asOfPosition, events: asOfPosition, replayMs, eventsPerSec: asOfPosition / (replayMs / 1000) },
      integrity,
      databaseBytes: statSync(path).size,
      loadAverage: { start: loadAtStart, end: loadavg()[0] ?? Number.NaN },
    };
  } finally {
    await dashboard.close();
    if (db === undefined) dropDb(path);
  }
};

/** Navigation to drawn, per page, in chromium (playwright-core), each page loaded `loads` times. */
const measurePages = async (url: string, image: string, loads: number): Promise<Record<string, Latency>> => {
  const { chromium } = await import("playwright-core");
  const browser = await chromium.launch({ executablePath: CHROMIUM });
  try {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const pages: Record<string, string> = {
      overview: "/",
      gallery: "/gallery",
      training: "/training",
      timeline: "/timeline",
      stream: `/stream?id=${encodeURIComponent(`image:${image}`)}`,
      health: "/status",
    };
    const out: Record<string, Latency> = {};
    for (const [name, p] of Object.entries(pages)) {
      out[name] = latency(
        await sample(loads, 1, async () => {
          await page.goto(new URL(p, url).href);
          await page.waitForSelector("body[data-ready]", { timeout: 120_000 });
        }),
      );
      log(`  page ${p}: p50 ${out[name].p50Ms.toFixed(0)} ms, p99 ${out[name].p99Ms.toFixed(0)} ms`);
    }
    return out;
  } finally {
    await browser.close();
  }
};

/** The figures as a table for the bench's output: one row per endpoint and per page. */
export const dashboardRows = (d: DashboardFigures): Table.Table => {
  const table = new Table({
    head: [
      `dashboard (${d.images.toLocaleString("en")} images, ${d.events.toLocaleString("en")} events)`,
      "p50 ms",
      "p99 ms",
    ],
  });
  const ms = (x: number) => x.toFixed(1);
  for (const [name, l] of Object.entries(d.api)) table.push([`GET ${name}`, ms(l.p50Ms), ms(l.p99Ms)]);
  for (const [name, l] of Object.entries(d.pages)) table.push([`page ${name} (chromium)`, ms(l.p50Ms), ms(l.p99Ms)]);
  table.push(
    [`as of position ${d.asOf.position} (first request: replay)`, ms(d.asOf.replayMs), ""],
    ["integrity quick_check / integrity_check", ms(d.integrity.quickMs), ms(d.integrity.fullMs)],
    [
      `database ${(d.databaseBytes / 1048576).toFixed(0)} MB; load average ${d.loadAverage.start.toFixed(1)} → ${d.loadAverage.end.toFixed(1)}`,
      "",
      "",
    ],
  );
  return table;
};

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { values } = parseArgs({
    options: { images: { type: "string", default: "100000" }, json: { type: "string" }, db: { type: "string" } },
  });
  const figures = await measureDashboard({ images: Number(values.images), db: values.db });
  cleanUp();
  console.log(dashboardRows(figures).toString());
  if (values.json) writeFileSync(values.json, `${JSON.stringify({ dashboard: figures }, null, 2)}\n`);
}
