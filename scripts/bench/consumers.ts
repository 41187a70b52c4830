// Consumers: delivery throughput against readAll, follow latency from commit to handler, idle CPU,
// the wake-up mechanisms measured side by side, and the follower's memory with a slow reader.
// npx tsx scripts/bench/consumers.ts [--sizes 200000,2000000] [--rounds 3]   (runs alone and prints its figures)
// npx tsx scripts/bench/consumers.ts --sizes 100000 --batch-sizes 100,250,1000   (delivery alone, per batch size)
import { spawn } from "node:child_process";
import { readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath, pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import Table from "cli-table3";
import { openConnection } from "../../src/db/connection.js";
import { workload } from "../../src/demo/workload.js";
import { createAppender } from "../../src/events/appendToStream.js";
import { type PreparedEvent, prepareEvent } from "../../src/events/prepareEvent.js";
import { openStore, runConsumer, type Store } from "../../src/index.js";
import { cleanUp, dropDb, f, freshDb, log, median, quantile, scratchDir } from "./support.js";

/** runConsumer's default batch size (src/consumers/options.ts): the figure users get. */
const DEFAULT_BATCH_SIZE = 250;
const worker = fileURLToPath(new URL("./consumerWorker.ts", import.meta.url));
const bin = fileURLToPath(new URL("../../bin/artist-store.js", import.meta.url));

/**
 * Grow the log of the database at `path` to `target` events, through the events layer's appender
 * without projections: consumers read only the log, and a log of millions is built in a minute.
 */
export const growLog = (path: string, target: number): void => {
  const db = openConnection(path);
  try {
    const append = createAppender(
      db,
      () => {},
      () => new Date(),
    );
    const head = Number(db.prepare("SELECT coalesce(max(position), 0) FROM events").pluck().get());
    let left = target - head;
    let group: PreparedEvent[] = [];
    const flush = () => {
      append(group);
      left -= group.length;
      group = [];
    };
    for (const e of workload({ images: Math.ceil(left / 2) + 100, prefix: `g${head}` })) {
      if (group.length >= left) break;
      group.push(prepareEvent(e, group.length, () => new Date()));
      if (group.length === 5000) flush();
    }
    if (group.length > 0) flush();
  } finally {
    db.close();
  }
};

/** Wall-clock and CPU seconds of fn; CPU time is what the ratios use, being far less disturbed by a busy machine. */
const seconds = async (fn: () => unknown): Promise<{ wall: number; cpu: number }> => {
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  await fn();
  const c = process.cpuUsage(c0);
  return { wall: (performance.now() - t0) / 1000, cpu: (c.user + c.system) / 1e6 };
};

/** Read the whole log with readAll, page by page: the baseline a consumer is compared with. */
const readWholeLog = (store: Store): number => {
  let events = 0;
  let after: number | undefined = 0;
  while (after !== undefined) {
    const page = store.readAll({ after, limit: 1000 });
    events += page.events.length;
    after = page.next;
  }
  return events;
};

export interface DeliveryFigures {
  events: number;
  batchSize: number;
  readAllEventsPerSec: number;
  consumerEventsPerSec: number;
  /** Consumer (at-least-once, a no-op handler) over readAll of the same log, by CPU time: median of the per-round ratios. */
  ratio: number;
  /** The same by wall-clock time. */
  wallRatio: number;
  /** The same with handleInTransaction (exactly-once): each batch in a write transaction with its checkpoint. */
  transactionalRatio: number;
}

/** A consumer delivering the whole log from the beginning against readAll of it, alternating `rounds` times. */
export const measureDelivery = async (path: string, rounds: number, batchSize: number): Promise<DeliveryFigures> => {
  const store = openStore({ url: path, stale: "ignore" });
  const events = store.headPosition();
  const ratios: number[] = [];
  const wallRatios: number[] = [];
  const transactional: number[] = [];
  const readAll: number[] = [];
  const consumer: number[] = [];
  try {
    for (let r = 0; r < rounds; r++) {
      const base = await seconds(() => readWholeLog(store));
      const atLeastOnce = await seconds(() =>
        runConsumer(store, { name: `delivery-${batchSize}-${r}`, batchSize, stopAtHead: true, handle: () => {} }),
      );
      const exactlyOnce = await seconds(() =>
        runConsumer(store, {
          name: `delivery-tx-${batchSize}-${r}`,
          batchSize,
          stopAtHead: true,
          handleInTransaction: () => {},
        }),
      );
      readAll.push(events / base.wall);
      consumer.push(events / atLeastOnce.wall);
      ratios.push(base.cpu / atLeastOnce.cpu);
      wallRatios.push(base.wall / atLeastOnce.wall);
      transactional.push(base.cpu / exactlyOnce.cpu);
    }
  } finally {
    store.close();
  }
  return {
    events,
    batchSize,
    readAllEventsPerSec: median(readAll),
    consumerEventsPerSec: median(consumer),
    ratio: median(ratios),
    wallRatio: median(wallRatios),
    transactionalRatio: median(transactional),
  };
};

export interface LatencyFigures {
  samples: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  /** CPU the waiting process used while nothing was appended, as a share of one core. */
  idleCpuPercent: number;
}

/**
 * Start a worker in `mode`, measure its idle CPU for `idleMs`, then append `samples` single events
 * at random intervals and time each from the append's return (the commit) to the worker's line
 * about it arriving back: an upper bound of commit-to-handler, the pipe back included.
 */
export const measureLatency = async (
  path: string,
  mode: string,
  samples: number,
  idleMs = 3000,
): Promise<LatencyFigures> => {
  const child = spawn(process.execPath, ["--import", "tsx", worker, mode, path], {
    stdio: ["pipe", "pipe", "inherit"],
  });
  const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  const next = async (): Promise<string> => {
    const line = await lines.next();
    if (line.done) throw new Error(`latency worker (${mode}) ended`);
    return line.value;
  };
  const cpu = async () => {
    child.stdin.write("cpu\n");
    return Number((await next()).slice("cpu ".length));
  };
  const store = openStore({ url: path, stale: "ignore" });
  try {
    if ((await next()) !== "ready") throw new Error("latency worker did not start");
    await new Promise((resolve) => setTimeout(resolve, 500));
    const c0 = await cpu();
    await new Promise((resolve) => setTimeout(resolve, idleMs));
    const idleCpuPercent = (((await cpu()) - c0) / idleMs) * 100;
    const latencies: number[] = [];
    for (let i = 0; i < samples; i++) {
      await new Promise((resolve) => setTimeout(resolve, 5 + Math.random() * 20));
      const { position } = store.emit.batchStarted({ batchId: `latency-${mode}-${Date.now()}-${i}` });
      const committed = performance.now();
      for (;;) if (Number(await next()) >= position) break;
      latencies.push(performance.now() - committed);
    }
    return {
      samples,
      p50Ms: quantile(latencies, 0.5),
      p99Ms: quantile(latencies, 0.99),
      maxMs: Math.max(...latencies),
      idleCpuPercent,
    };
  } finally {
    store.close();
    child.stdin.end("stop\n");
    child.kill();
  }
};

// The follower's own peak RSS (VmHWM: maxRSS would carry the parent's, see peakRss.ts), written as it
// exits; a parent cannot ask for it afterwards.
const rssProbe = `data:text/javascript,${encodeURIComponent(
  'import { readFileSync, writeFileSync } from "node:fs"; process.on("exit", () => ' +
    'writeFileSync(process.env.BENCH_RSS_FILE, /^VmHWM:\\s+(\\d+) kB$/m.exec(readFileSync("/proc/self/status", "utf8"))[1]));',
)}`;

/**
 * `artist-store follow --no-ack --until-head` over the whole log into a slow reader: the reader
 * reads nothing for `pauseMs`, then reads on. Returns the follower's peak RSS in KB.
 */
export const measureSlowReader = async (
  path: string,
  pauseMs = 3000,
): Promise<{ peakRssKb: number; lines: number }> => {
  const rssFile = join(scratchDir, `rss-${Date.now()}.txt`);
  const child = spawn(
    process.execPath,
    [
      "--import",
      rssProbe,
      bin,
      "follow",
      "--db",
      path,
      "--consumer",
      `slow-${Date.now()}`,
      "--no-ack",
      "--until-head",
      "--batch-size",
      "1000",
    ],
    { stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, BENCH_RSS_FILE: rssFile } },
  );
  // The log is written without projections, so the follower warns that they are stale: shown only if it fails.
  let stderr = "";
  child.stderr.setEncoding("utf8").on("data", (text: string) => (stderr += text));
  child.stdout.pause();
  await new Promise((resolve) => setTimeout(resolve, pauseMs));
  let lines = 0;
  child.stdout.on("data", (chunk: Buffer) => {
    for (let i = chunk.indexOf(10); i !== -1; i = chunk.indexOf(10, i + 1)) lines++;
  });
  child.stdout.resume();
  const code = await new Promise<number | null>((resolve) => child.on("close", resolve));
  if (code !== 0) throw new Error(`follow exited with ${code}: ${stderr}`);
  const peakRssKb = Number(readFileSync(rssFile, "utf8"));
  rmSync(rssFile, { force: true });
  return { peakRssKb, lines };
};

export interface ConsumerFigures {
  /** A consumer (at-least-once, default batch size) delivering the whole log, against readAll of it: CPU time. */
  deliveryRatioToReadAll: number;
  deliveryRatioToReadAllWall: number;
  /** The same with handleInTransaction (exactly-once). */
  exactlyOnceRatioToReadAll: number;
  delivery: DeliveryFigures;
  /** The store's consumer (runConsumer). */
  followLatencyMs: { p50: number; p99: number; max: number; samples: number };
  idleCpuPercent: number;
  /** The wake-up mechanisms alone: the file watch chosen, and PRAGMA data_version polls. */
  wake: Record<string, LatencyFigures>;
  /** Peak RSS of the follower with a slow reader, by log size, and the largest over the smallest. */
  slowReaderRssKb: Record<string, number>;
  slowReaderRssRatio: number;
}

/** Every consumer figure, on logs of `sizes` events (the first also serves delivery and latency). */
export const measureConsumers = async (sizes: readonly number[], rounds: number): Promise<ConsumerFigures> => {
  const path = freshDb("consumers");
  try {
    const [first = 200_000, ...rest] = sizes;
    log(`consumers: a log of ${first.toLocaleString("en")} events`);
    growLog(path, first);
    log("consumers: delivery of the whole log against readAll");
    const delivery = await measureDelivery(path, rounds, DEFAULT_BATCH_SIZE);
    log("consumers: latency from commit to handler, idle CPU, and the wake-up mechanisms alone");
    const consumer = await measureLatency(path, "consumer", 200);
    const wake: Record<string, LatencyFigures> = {};
    for (const mode of ["watch", "poll10", "poll50"]) wake[mode] = await measureLatency(path, mode, 100);
    const slowReaderRssKb: Record<string, number> = {};
    for (const size of [first, ...rest]) {
      if (size > first) {
        log(`consumers: growing the log to ${size.toLocaleString("en")} events`);
        growLog(path, size);
      }
      log(`consumers: follow --no-ack into a slow reader, ${size.toLocaleString("en")} events`);
      const { peakRssKb, lines } = await measureSlowReader(path);
      if (lines < size) throw new Error(`the follower wrote ${lines} lines of ${size}`);
      slowReaderRssKb[String(size)] = peakRssKb;
    }
    const rss = Object.values(slowReaderRssKb);
    return {
      deliveryRatioToReadAll: delivery.ratio,
      deliveryRatioToReadAllWall: delivery.wallRatio,
      exactlyOnceRatioToReadAll: delivery.transactionalRatio,
      delivery,
      followLatencyMs: { p50: consumer.p50Ms, p99: consumer.p99Ms, max: consumer.maxMs, samples: consumer.samples },
      idleCpuPercent: consumer.idleCpuPercent,
      wake,
      slowReaderRssKb,
      slowReaderRssRatio: (rss.at(-1) ?? Number.NaN) / (rss[0] ?? Number.NaN),
    };
  } finally {
    dropDb(path);
  }
};

/** The consumer rows of the bench's tables. */
export const consumerRows = (c: ConsumerFigures): string[][] => [
  [
    `consumer delivering the log vs readAll (batches of ${c.delivery.batchSize} vs pages of 1,000)`,
    f(c.delivery.events),
    f(c.delivery.consumerEventsPerSec),
    f(c.delivery.readAllEventsPerSec),
    f(c.deliveryRatioToReadAllWall, 2),
    f(c.deliveryRatioToReadAll, 2),
    `≥ 0.80 (CPU); exactly-once ${f(c.exactlyOnceRatioToReadAll, 2)}`,
  ],
];

/** Latency, idle CPU and memory as a table of their own. */
export const consumerTable = (c: ConsumerFigures): string => {
  const t = new Table({ head: ["consumers", "p50 ms", "p99 ms", "idle CPU %", "note"] });
  t.push([
    `runConsumer, commit to handler (${c.followLatencyMs.samples} appends)`,
    f(c.followLatencyMs.p50, 2),
    f(c.followLatencyMs.p99, 2),
    f(c.idleCpuPercent, 2),
    "file watch + 250 ms poll",
  ]);
  for (const [mode, w] of Object.entries(c.wake))
    t.push([`wake-up alone: ${mode}`, f(w.p50Ms, 2), f(w.p99Ms, 2), f(w.idleCpuPercent, 2), `${w.samples} appends`]);
  const sizes = Object.entries(c.slowReaderRssKb).map(([n, kb]) => `${f(kb / 1024)} MB at ${f(Number(n))} events`);
  t.push([
    "follow --no-ack, slow reader: peak RSS",
    "",
    "",
    "",
    `${sizes.join(", ")} (ratio ${f(c.slowReaderRssRatio, 2)}, target ≤ 1.20)`,
  ]);
  return t.toString();
};

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  const { values } = parseArgs({
    options: {
      sizes: { type: "string", default: "200000,2000000" },
      rounds: { type: "string", default: "3" },
      // Delivery alone, at several batch sizes, on a log of the first size: what chose the default.
      "batch-sizes": { type: "string" },
    },
  });
  const sizes = (values.sizes ?? "").split(",").map(Number);
  const batchSizes = values["batch-sizes"];
  if (batchSizes) {
    const path = freshDb("delivery");
    growLog(path, sizes[0] ?? 100_000);
    for (const batchSize of batchSizes.split(",").map(Number))
      console.log(JSON.stringify(await measureDelivery(path, Number(values.rounds), batchSize)));
  } else {
    const figures = await measureConsumers(sizes, Number(values.rounds));
    console.log(JSON.stringify(figures, null, 2));
    console.log(consumerTable(figures));
  }
  cleanUp();
}
