// The PostgreSQL part of `npm run bench`: append throughput through openAsyncStore, batched and
// single, from 1, 4 and 8 processes, against raw direct writes of the same workload to the same
// PostgreSQL tables (the projections' own statements, no log, no validation, no lock) from one
// process with the same grouping, measured in the same run on a scratch server.
import { spawn } from "node:child_process";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import pg from "pg";
import { z } from "zod";
import { runPostgresDbmate } from "../../src/postgres/migrations.js";
import { startScratchServer } from "../postgresScratch.js";
import { median } from "./support.js";

const worker = fileURLToPath(new URL("./pgAppendWorker.ts", import.meta.url));
const WorkerResult = z.object({ events: z.number(), seconds: z.number() });

let databases = 0;
const freshDatabase = async (admin: string): Promise<string> => {
  databases += 1;
  const name = `bench_${databases}`;
  const c = new pg.Client({ connectionString: admin });
  await c.connect();
  await c.query(`CREATE DATABASE ${name}`).finally(() => c.end());
  const url = new URL(admin);
  url.pathname = `/${name}`;
  runPostgresDbmate(url.toString(), ["up"]);
  return url.toString();
};

/** `processes` writers released together on one fresh database; events/s until the last finishes. */
const runProcesses = async (
  admin: string,
  mode: "store" | "raw",
  processes: number,
  images: number,
  perAppend: number,
) => {
  const url = await freshDatabase(admin);
  const children = Array.from({ length: processes }, (_, i) =>
    spawn(
      process.execPath,
      [
        "--import",
        "tsx",
        worker,
        url,
        `p${i}`,
        String(Math.floor(images / processes)),
        String(perAppend),
        String(100 + i),
        mode,
      ],
      { stdio: ["pipe", "pipe", "inherit"] },
    ),
  );
  const outputs = children.map((c) => createInterface({ input: c.stdout })[Symbol.asyncIterator]());
  await Promise.all(outputs.map((o) => o.next()));
  const t0 = process.hrtime.bigint();
  for (const c of children) c.stdin.end("go\n");
  const results = await Promise.all(
    outputs.map(async (o) => {
      const line = await o.next();
      if (line.done) throw new Error("a writing process ended without reporting");
      return WorkerResult.parse(JSON.parse(line.value));
    }),
  );
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  const events = results.reduce((s, r) => s + r.events, 0);
  return { events, eventsPerSec: events / seconds };
};

export interface PostgresFigure {
  label: string;
  events: number;
  eventsPerSec: number;
  rawEventsPerSec: number;
  ratio: number;
}

/**
 * Each figure: the median of `rounds` alternating runs of the store and of raw direct writes.
 * @example const rows = await measurePostgres({ batchedImages: 5000, singleImages: 500, rounds: 3 });
 */
export const measurePostgres = async (size: {
  batchedImages: number;
  singleImages: number;
  rounds: number;
  processes?: readonly number[];
}): Promise<PostgresFigure[]> => {
  const server = await startScratchServer();
  try {
    const figures: PostgresFigure[] = [];
    for (const [grouping, images, perAppend] of [
      ["batched (1,000 events per append)", size.batchedImages, 1000],
      ["single (one event per append)", size.singleImages, 1],
    ] as const)
      for (const processes of size.processes ?? [1, 4, 8]) {
        const store: number[] = [];
        const raw: number[] = [];
        let events = 0;
        for (let r = 0; r < size.rounds; r++) {
          raw.push((await runProcesses(server.url, "raw", 1, images, perAppend)).eventsPerSec);
          const s = await runProcesses(server.url, "store", processes, images, perAppend);
          store.push(s.eventsPerSec);
          events = s.events;
        }
        figures.push({
          label: `PostgreSQL append ${grouping}, ${processes} process${processes > 1 ? "es" : ""} vs raw-direct, 1 process`,
          events,
          eventsPerSec: median(store),
          rawEventsPerSec: median(raw),
          ratio: median(store.map((s, i) => s / (raw[i] ?? s))),
        });
      }
    return figures;
  } finally {
    await server.stop();
  }
};

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const rows = await measurePostgres({
    batchedImages: Number(process.argv[2] ?? 5000),
    singleImages: Number(process.argv[3] ?? 500),
    rounds: Number(process.argv[4] ?? 1),
  });
  for (const r of rows)
    console.log(
      `${r.label}: ${r.events} events, ${Math.round(r.eventsPerSec)} events/s, raw ${Math.round(r.rawEventsPerSec)} events/s, ratio ${r.ratio.toFixed(2)}`,
    );
}
