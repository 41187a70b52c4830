// Scale to 10 million events (issue 13, target 7), not in CI:
//   npx tsx scripts/bench/huge.ts [--events 10000000] [--json FILE]      (npm run bench -- --huge adds it to the bench)
// One store database of N events appended through store.append, 1,000 per call: the append's speed per
// tenth of the log, the database's bytes per event against raw-direct's bytes per image (the first tenth's images),
// the documented queries at that size, then rebuild, audit and a consumer's catch-up, each in a child
// process of its own, at the first tenth (a copy taken on the way) and at N, and JSONB on that copy.
// Set BENCH_DIR to a folder on a disk with room: about 1.3 KB per event, and a tenth more for the copy.
import { spawnSync } from "node:child_process";
import { copyFileSync, writeFileSync } from "node:fs";
import { fileURLToPath, pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import Table from "cli-table3";
import { z } from "zod";
import { type Db, openConnection } from "../../src/db/connection.js";
import { type NewEvent, openStore } from "../../src/index.js";
import { workloadGroups } from "./append.js";
import { type JsonbFigures, measureJsonb } from "./hugeJsonb.js";
import { measureDocumentedQueries } from "./queries.js";
import { rawDirectWriter } from "./rawDirect.js";
import { cleanUp, dropDb, f, freshDb, loadAverage, log, measure } from "./support.js";

const worker = fileURLToPath(new URL("./hugeWorker.ts", import.meta.url));
const WorkerFigures = z.object({
  operation: z.string(),
  events: z.number(),
  ok: z.boolean(),
  ms: z.number(),
  cpuMs: z.number(),
  rssOpenKb: z.number(),
  peakRssKb: z.number(),
});
const Bytes = z.object({ name: z.string(), bytes: z.number() });

/** The workload averages about 2.03 events per image; a little more so the groups never run out before N. */
const imagesFor = (events: number) => Math.ceil(events / 2) + 1000;

/** The workload's first `events` events in groups of 1,000 (the last cut short), the same on every call. */
function* firstEvents(events: number): Generator<readonly NewEvent[]> {
  let left = events;
  for (const g of workloadGroups({ images: imagesFor(events), seed: 13 }, 1000)()) {
    if (left <= 0) return;
    const group = g.length > left ? g.slice(0, left) : g;
    left -= group.length;
    yield group;
  }
}

export interface SliceFigures {
  /** The log's head at the end of this slice. */
  events: number;
  eventsPerSec: number;
  cpuEventsPerSec: number;
  /** This process's RSS at the end of the slice. */
  rssMb: number;
}

export interface OperationFigures {
  events: number;
  eventsPerSec: number;
  cpuEventsPerSec: number;
  peakRssMb: number;
  ok: boolean;
}

/**
 * An operation at the first tenth of the log (`small`: 1,000,000 events at the default 10,000,000) and at
 * its whole (`large`), and the whole over the tenth; the ratios keep the default's names at any --events.
 */
export interface ScaledFigures {
  small: OperationFigures;
  large: OperationFigures;
  eventsPerSec: number;
  peakRssMb: number;
  /** Peak RSS of the whole over the tenth's: near 1 means flat memory. */
  rssRatioTo1M: number;
  /** Events/s of the whole over the tenth's: near 1 means time linear in events. */
  speedRatioTo1M: number;
}

export interface HugeFigures {
  events: number;
  images: number;
  append: {
    eventsPerSec: number;
    cpuEventsPerSec: number;
    seconds: number;
    slices: SliceFigures[];
    /** The last slice's events/s over the first's (wall and CPU): near 1 means time linear in events. */
    lastToFirstSlice: number;
    cpuLastToFirstSlice: number;
    /** The appending process's RSS at the last slice over the first. */
    rssLastToFirstSlice: number;
  };
  databaseBytes: number;
  bytesPerEvent: number;
  bytesPerImage: number;
  /** Bytes per event of each table with its indexes (dbstat), and the free pages. */
  tableBytesPerEvent: Record<string, number>;
  /** Raw-direct writing the first tenth's events (its images) into a fresh database. */
  rawDirect: { events: number; images: number; eventsPerSec: number; databaseBytes: number };
  rawDirectBytesPerImage: number;
  /** The store's bytes per image over raw-direct's: what the log costs on disk. */
  bytesPerImageRatioToRawDirect: number;
  queries: Record<string, { rows: number; p50Ms: number; p99Ms: number }>;
  rebuild: ScaledFigures;
  audit: ScaledFigures;
  consumer: ScaledFigures;
  jsonb: JsonbFigures;
  loadAverage: { start: number[]; end: number[] };
  seconds: number;
}

/** page_count × page_size after a checkpoint that empties the WAL. */
const databaseBytes = (db: Db): number => {
  db.pragma("wal_checkpoint(TRUNCATE)");
  return Number(db.pragma("page_count", { simple: true })) * Number(db.pragma("page_size", { simple: true }));
};

/** Bytes of each table with its indexes, by the dbstat virtual table; free pages under "(free)". */
const tableBytes = (db: Db, total: number): Record<string, number> => {
  const rows = db
    .prepare(
      `SELECT coalesce(m.tbl_name, s.name) AS name, sum(s.pgsize) AS bytes
       FROM dbstat AS s LEFT JOIN sqlite_master AS m ON m.name = s.name GROUP BY 1 ORDER BY bytes DESC`,
    )
    .all()
    .map((r) => Bytes.parse(r));
  const out: Record<string, number> = {};
  let used = 0;
  for (const r of rows) {
    out[r.name] = r.bytes;
    used += r.bytes;
  }
  out["(free)"] = total - used;
  return out;
};

const runWorker = (operation: string, path: string): OperationFigures => {
  const child = spawnSync(process.execPath, ["--import", "tsx", worker, operation, path], {
    encoding: "utf8",
    maxBuffer: 1 << 20,
  });
  if (child.status !== 0) throw new Error(`hugeWorker ${operation} failed: ${child.stderr}`);
  const r = WorkerFigures.parse(JSON.parse(child.stdout));
  log(`  ${operation}: ${JSON.stringify(r)}, load ${loadAverage().join(" ")}`);
  return {
    events: r.events,
    eventsPerSec: r.events / (r.ms / 1000),
    cpuEventsPerSec: r.events / (r.cpuMs / 1000),
    peakRssMb: r.peakRssKb / 1024,
    ok: r.ok,
  };
};

const scaled = (small: OperationFigures, large: OperationFigures): ScaledFigures => ({
  small,
  large,
  eventsPerSec: large.eventsPerSec,
  peakRssMb: large.peakRssMb,
  rssRatioTo1M: large.peakRssMb / small.peakRssMb,
  speedRatioTo1M: large.eventsPerSec / small.eventsPerSec,
});

/** Every figure of target 7 on one log of `events` events. */
export const measureHuge = (events: number): HugeFigures => {
  const started = performance.now();
  const loadAtStart = loadAverage();
  const sliceSize = Math.max(1, Math.round(events / 10));
  const path = freshDb("huge");
  const smallPath = `${path}.tenth.db`;
  const store = openStore({ url: `sqlite:${path}` });
  const slices: SliceFigures[] = [];
  let wall = 0;
  let cpu = 0;
  let slice = { wall: 0, cpu: 0, events: 0 };
  let head = 0;
  log(`huge: appending ${events.toLocaleString("en")} events, 1,000 per append`);
  for (const group of firstEvents(events)) {
    const m = measure(() => store.append(group));
    slice = { wall: slice.wall + m.wall, cpu: slice.cpu + m.cpu, events: slice.events + group.length };
    head += group.length;
    if (slice.events >= sliceSize || head === events) {
      slices.push({
        events: head,
        eventsPerSec: slice.events / slice.wall,
        cpuEventsPerSec: slice.events / slice.cpu,
        rssMb: process.memoryUsage().rss / 2 ** 20,
      });
      log(
        `  ${head.toLocaleString("en")} events: ${(slice.events / slice.wall).toFixed(0)} events/s, ` +
          `${(slice.events / slice.cpu).toFixed(0)} by CPU, RSS ${(process.memoryUsage().rss / 2 ** 20).toFixed(0)} MB, load ${loadAverage().join(" ")}`,
      );
      wall += slice.wall;
      cpu += slice.cpu;
      slice = { wall: 0, cpu: 0, events: 0 };
      // The first tenth, copied whole (WAL emptied first) for the operations' small size and for JSONB.
      if (slices.length === 1) {
        databaseBytes(store.db);
        copyFileSync(path, smallPath);
      }
    }
  }
  const images = Number(store.db.prepare("SELECT count(*) FROM generated_images").pluck().get());
  const bytes = databaseBytes(store.db);
  log("huge: bytes by table (dbstat)");
  const tables = tableBytes(store.db, bytes);
  store.close();
  log(`  ${images} images, ${bytes} bytes: ${JSON.stringify(tables)}`);

  log(`huge: the documented queries at ${images.toLocaleString("en")} images`);
  const queries = Object.fromEntries(
    measureDocumentedQueries(path).map((q) => [q.query, { rows: q.rows, p50Ms: q.p50Ms, p99Ms: q.p99Ms }]),
  );
  log(`  ${JSON.stringify(queries)}`);

  // The whole log's operations first and raw-direct last: on a loaded machine the figures that say
  // whether memory is flat are the ones a run cut short must not lose (each stage logs its figures).
  const operations = (p: string) => ({
    rebuild: runWorker("rebuild", p),
    audit: runWorker("audit", p),
    consumer: runWorker("consumer", p),
  });
  log(`huge: rebuild, audit and consumer catch-up at ${events.toLocaleString("en")} events`);
  const large = operations(path);
  dropDb(path);
  log(`huge: rebuild, audit and consumer catch-up at ${slices[0]?.events.toLocaleString("en")} events`);
  const small = operations(smallPath);
  log("huge: JSONB payloads on that copy");
  const jsonb = measureJsonb(smallPath);
  log(`  ${JSON.stringify(jsonb)}`);
  dropDb(smallPath);

  // Raw-direct's bytes per image do not move with the size (937 at 245,810 and at 442,506 images), while
  // writing all 4.9 million images took over an hour on the loaded machine: it writes the first tenth.
  const rawEvents = slices[0]?.events ?? events;
  log(`huge: raw-direct writing the images of the first ${rawEvents.toLocaleString("en")} events`);
  const rawPath = freshDb("huge-raw");
  const rawDb = openConnection(rawPath);
  const write = rawDirectWriter(rawDb);
  let rawSeconds = 0;
  for (const group of firstEvents(rawEvents)) rawSeconds += measure(() => write(group)).wall;
  const rawBytes = databaseBytes(rawDb);
  const rawImages = Number(rawDb.prepare("SELECT count(*) FROM generated_images").pluck().get());
  rawDb.close();
  dropDb(rawPath);
  log(`  raw-direct: ${rawBytes} bytes, ${rawImages} images, ${(rawEvents / rawSeconds).toFixed(0)} events/s`);

  const first = slices[0];
  const last = slices.at(-1);
  const ratio = (f: (s: SliceFigures) => number) => (last && first ? f(last) / f(first) : Number.NaN);
  const tableBytesPerEvent = Object.fromEntries(Object.entries(tables).map(([name, b]) => [name, b / events]));
  return {
    events,
    images,
    append: {
      eventsPerSec: events / wall,
      cpuEventsPerSec: events / cpu,
      seconds: wall,
      slices,
      lastToFirstSlice: ratio((s) => s.eventsPerSec),
      cpuLastToFirstSlice: ratio((s) => s.cpuEventsPerSec),
      rssLastToFirstSlice: ratio((s) => s.rssMb),
    },
    databaseBytes: bytes,
    bytesPerEvent: bytes / events,
    bytesPerImage: bytes / images,
    tableBytesPerEvent,
    rawDirect: { events: rawEvents, images: rawImages, eventsPerSec: rawEvents / rawSeconds, databaseBytes: rawBytes },
    rawDirectBytesPerImage: rawBytes / rawImages,
    bytesPerImageRatioToRawDirect: bytes / images / (rawBytes / rawImages),
    queries,
    rebuild: scaled(small.rebuild, large.rebuild),
    audit: scaled(small.audit, large.audit),
    consumer: scaled(small.consumer, large.consumer),
    jsonb,
    loadAverage: { start: loadAtStart, end: loadAverage() },
    seconds: (performance.now() - started) / 1000,
  };
};

/** The figures as tables: append slices, sizes, operations, queries, JSONB. */
export const hugeTables = (h: HugeFigures): string => {
  const main = new Table({
    head: [`huge (${f(h.events)} events, ${f(h.images)} images)`, "measured", "note"],
    colWidths: [48, 30, 90],
    wordWrap: true,
  });
  const a = h.append;
  main.push(
    [
      "append, 1,000 per call: events/s (CPU)",
      `${f(a.eventsPerSec)} (${f(a.cpuEventsPerSec)})`,
      `${f(a.seconds)} s; raw-direct ${f(h.rawDirect.eventsPerSec)} events/s`,
    ],
    [
      "append: last slice / first slice",
      `${f(a.lastToFirstSlice, 2)} wall, ${f(a.cpuLastToFirstSlice, 2)} CPU`,
      `slices: ${a.slices.map((s) => f(s.eventsPerSec)).join(", ")} events/s; RSS ratio ${f(a.rssLastToFirstSlice, 2)}`,
    ],
    [
      "database bytes per event (per image)",
      `${f(h.bytesPerEvent)} (${f(h.bytesPerImage)})`,
      `${f(h.databaseBytes / 2 ** 30, 2)} GiB; raw-direct ${f(h.rawDirectBytesPerImage)} bytes per image, ratio ${f(h.bytesPerImageRatioToRawDirect, 2)}`,
    ],
    [
      "bytes per event by table (with its indexes)",
      "",
      Object.entries(h.tableBytesPerEvent)
        .map(([t, b]) => `${t} ${f(b)}`)
        .join(", "),
    ],
  );
  for (const name of ["rebuild", "audit", "consumer"] as const) {
    const o = h[name];
    main.push([
      `${name === "consumer" ? "consumer catch-up from 0" : name}: events/s, peak RSS`,
      `${f(o.large.eventsPerSec)}, ${f(o.large.peakRssMb)} MB`,
      `at ${f(o.small.events)}: ${f(o.small.eventsPerSec)} events/s, ${f(o.small.peakRssMb)} MB; ` +
        `ratios ${f(o.speedRatioTo1M, 2)} (speed), ${f(o.rssRatioTo1M, 2)} (RSS)${o.large.ok && o.small.ok ? "" : "; DRIFT"}`,
    ]);
  }
  for (const [q, v] of Object.entries(h.queries))
    main.push([`query ${q}: p50 / p99 ms`, `${f(v.p50Ms, 3)} / ${f(v.p99Ms, 3)}`, `${f(v.rows)} rows`]);
  const j = h.jsonb;
  main.push(
    [
      `JSONB payloads (SQLite ${j.sqliteVersion}, ${f(j.events)} events): payload bytes per event`,
      `${f(j.jsonbPayloadBytesPerEvent)} vs ${f(j.textPayloadBytesPerEvent)} text`,
      `log table ${f(j.jsonbLogBytesPerEvent)} vs ${f(j.textLogBytesPerEvent)} bytes per event`,
    ],
    [
      "JSONB: insert, replay read (CPU µs per event)",
      `${f(j.insertJsonbCpuUs, 2)} vs ${f(j.insertTextCpuUs, 2)}; ${f(j.readJsonbCpuUs, 2)} vs ${f(j.readTextCpuUs, 2)}`,
      `ratios ${f(j.insertCpuRatio, 2)} (insert), ${f(j.readCpuRatio, 2)} (read); json(jsonb(x)) = x: ` +
        `${j.roundTripExact ? "every payload" : `${f(j.roundTripMismatches)} payloads differ`}`,
    ],
  );
  return `${main.toString()}\nload average ${h.loadAverage.start.join(" ")} at start, ${h.loadAverage.end.join(" ")} at end; ${f(h.seconds)} s`;
};

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  const { values } = parseArgs({
    options: { events: { type: "string", default: "10000000" }, json: { type: "string" } },
  });
  const events = Number(values.events);
  if (!Number.isInteger(events) || events < 10)
    throw new Error(`--events: a whole number of at least 10, not ${values.events}`);
  try {
    const huge = measureHuge(events);
    console.log(hugeTables(huge));
    if (values.json) {
      writeFileSync(values.json, `${JSON.stringify({ huge }, null, 2)}\n`);
      log(`wrote ${values.json}`);
    }
  } finally {
    cleanUp();
  }
}
