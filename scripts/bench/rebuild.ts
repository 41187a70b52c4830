// Rebuild and audit throughput and peak memory on a log written through the store.
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { z } from "zod";
import { openStore } from "../../src/index.js";
import { workloadGroups } from "./append.js";
import { dropDb, freshDb, log, time } from "./support.js";

const worker = fileURLToPath(new URL("./rebuildWorker.ts", import.meta.url));
const WorkerResult = z.object({
  events: z.number(),
  rebuildMs: z.number(),
  lockMs: z.number(),
  auditMs: z.number(),
  auditOk: z.boolean(),
  rssOpenKb: z.number(),
  rssRebuildKb: z.number(),
});

export interface RebuildFigures {
  events: number;
  buildLogSeconds: number;
  rebuildEventsPerSec: number;
  /** How long the rebuild's swap held the store's write lock (the tail's catch-up and the swap). */
  lockMs: number;
  auditEventsPerSec: number;
  auditOk: boolean;
  peakRssMb: number;
  rssAtOpenMb: number;
}

/** Append about `events` workload events in 1,000-event appends, then rebuild and audit in a child process. */
export const measureRebuild = (events: number): RebuildFigures => {
  const path = freshDb("rebuild");
  const store = openStore({ url: `sqlite:${path}` });
  const buildLogSeconds = time(() => {
    for (const g of workloadGroups({ images: Math.round(events / 2.03), seed: 3 }, 1000)()) store.append(g);
  });
  const head = store.headPosition();
  store.close();
  log(`  log of ${head} events written in ${buildLogSeconds.toFixed(1)} s; rebuilding in a child process`);
  const child = spawnSync(process.execPath, ["--import", "tsx", worker, path], {
    encoding: "utf8",
    maxBuffer: 1 << 20,
  });
  dropDb(path);
  if (child.status !== 0) throw new Error(`rebuild worker failed: ${child.stderr}`);
  const r = WorkerResult.parse(JSON.parse(child.stdout));
  return {
    events: r.events,
    buildLogSeconds,
    rebuildEventsPerSec: r.events / (r.rebuildMs / 1000),
    lockMs: r.lockMs,
    auditEventsPerSec: r.events / (r.auditMs / 1000),
    auditOk: r.auditOk,
    peakRssMb: r.rssRebuildKb / 1024,
    rssAtOpenMb: r.rssOpenKb / 1024,
  };
};
