// Appends from several processes at once against one process, same total work.
import { spawn } from "node:child_process";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { z } from "zod";
import { dropDb, freshDb, median, pairwise } from "./support.js";

const worker = fileURLToPath(new URL("./appendWorker.ts", import.meta.url));

const WorkerResult = z.object({
  events: z.number(),
  seconds: z.number(),
  cpuSeconds: z.number(),
  busyErrors: z.number(),
  latenciesMs: z.array(z.number()),
});
type WorkerResult = z.output<typeof WorkerResult>;

/** Start `processes` appenders on one database, release them together, and time until the last one finishes. */
const runProcesses = async (
  processes: number,
  images: number,
  perAppend: number,
): Promise<{
  eventsPerSec: number;
  events: number;
  cpuUsPerEvent: number;
  busyErrors: number;
  latenciesMs: number[];
}> => {
  const path = freshDb("concurrent");
  const children = Array.from({ length: processes }, (_, i) =>
    spawn(
      process.execPath,
      [
        "--import",
        "tsx",
        worker,
        path,
        `p${i}`,
        String(Math.floor(images / processes)),
        String(perAppend),
        String(100 + i),
      ],
      {
        stdio: ["pipe", "pipe", "inherit"],
      },
    ),
  );
  const outputs = children.map((c) => createInterface({ input: c.stdout })[Symbol.asyncIterator]());
  await Promise.all(outputs.map((o) => o.next()));
  const t0 = process.hrtime.bigint();
  for (const c of children) c.stdin.end("go\n");
  const results: WorkerResult[] = await Promise.all(
    outputs.map(async (o) => {
      const line = await o.next();
      if (line.done) throw new Error("an appending process ended without reporting");
      return WorkerResult.parse(JSON.parse(line.value));
    }),
  );
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  await Promise.all(
    children.map((c) => new Promise((resolve) => (c.exitCode !== null ? resolve(null) : c.once("exit", resolve)))),
  );
  dropDb(path);
  const events = results.reduce((s, r) => s + r.events, 0);
  return {
    eventsPerSec: events / seconds,
    events,
    cpuUsPerEvent: (results.reduce((s, r) => s + r.cpuSeconds, 0) * 1e6) / events,
    busyErrors: results.reduce((s, r) => s + r.busyErrors, 0),
    latenciesMs: results.flatMap((r) => r.latenciesMs),
  };
};

export interface ConcurrencyFigures {
  processes: number;
  perAppend: number;
  events: number;
  oneProcessEventsPerSec: number;
  manyProcessesEventsPerSec: number;
  ratio: number;
  busyErrors: number;
  /** Per-append latency (call to return, the wait for the write lock included), one process and many. */
  /** CPU µs per event summed over the appending processes (waiting for the lock included), one process and many. */
  oneProcessCpuUsPerEvent: number;
  manyProcessesCpuUsPerEvent: number;
  oneProcessLatencyMs: { p50: number; p99: number };
  manyProcessesLatencyMs: { p50: number; p99: number };
}

/** The p50 and p99 of a list of latencies. */
const percentiles = (xs: readonly number[]): { p50: number; p99: number } => {
  const sorted = [...xs].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? Number.NaN;
  return { p50: at(0.5), p99: at(0.99) };
};

/** One process, then `processes` processes, alternating `rounds` times; the same images in total each time. */
export const compareProcesses = async (
  processes: number,
  images: number,
  perAppend: number,
  rounds: number,
): Promise<ConcurrencyFigures> => {
  const one: number[] = [];
  const many: number[] = [];
  const oneCpu: number[] = [];
  const manyCpu: number[] = [];
  const oneLatencies: number[] = [];
  const manyLatencies: number[] = [];
  let busyErrors = 0;
  let events = 0;
  for (let r = 0; r < rounds; r++) {
    const a = await runProcesses(1, images, perAppend);
    const b = await runProcesses(processes, images, perAppend);
    one.push(a.eventsPerSec);
    many.push(b.eventsPerSec);
    oneCpu.push(a.cpuUsPerEvent);
    manyCpu.push(b.cpuUsPerEvent);
    oneLatencies.push(...a.latenciesMs);
    manyLatencies.push(...b.latenciesMs);
    busyErrors += a.busyErrors + b.busyErrors;
    events = b.events;
  }
  return {
    processes,
    perAppend,
    events,
    oneProcessEventsPerSec: median(one),
    manyProcessesEventsPerSec: median(many),
    ratio: median(pairwise(many, one, (m, o) => m / o)),
    busyErrors,
    oneProcessCpuUsPerEvent: median(oneCpu),
    manyProcessesCpuUsPerEvent: median(manyCpu),
    oneProcessLatencyMs: percentiles(oneLatencies),
    manyProcessesLatencyMs: percentiles(manyLatencies),
  };
};
