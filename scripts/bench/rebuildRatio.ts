// Rebuild vs raw-direct batched, alternating, for quick iteration:
//   npx tsx scripts/bench/rebuildRatio.ts [--events 200000] [--rounds 3]
// Prints each round's ratio and the median: the figure of `npm run bench`'s rebuild row (raw-direct on
// 50,000 images in this process, the rebuild in a fresh child process), without the rest of the suite
// and with the log written once.
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { z } from "zod";
import { openStore } from "../../src/index.js";
import { runRaw, workloadGroups } from "./append.js";
import { cleanUp, dropDb, freshDb, log, median } from "./support.js";

const { values } = parseArgs({
  options: { events: { type: "string", default: "200000" }, rounds: { type: "string", default: "3" } },
});
const events = Number(values.events);
const rounds = Number(values.rounds);

const path = freshDb("rebuild");
const store = openStore({ url: `sqlite:${path}`, stale: "ignore" });
for (const g of workloadGroups({ images: Math.round(events / 2.03), seed: 3 }, 1000)()) store.append(g);
log(`log of ${store.headPosition()} events`);

// The bench's raw-direct batched row: 50,000 images in 1,000-event transactions.
const rawGroups = workloadGroups({ images: 50_000 }, 1000);
let rawEvents = 0;
for (const g of rawGroups()) rawEvents += g.length;

store.close();

const worker = fileURLToPath(new URL("./rebuildWorker.ts", import.meta.url));
const Result = z.object({ events: z.number(), rebuildMs: z.number(), lockMs: z.number(), rssRebuildKb: z.number() });
const rebuildInChild = () => {
  const child = spawnSync(process.execPath, ["--import", "tsx", worker, path, "--rebuild-only"], { encoding: "utf8" });
  if (child.status !== 0) throw new Error(`rebuild worker failed: ${child.stderr}`);
  return Result.parse(JSON.parse(child.stdout));
};

const ratios: number[] = [];
for (let r = 0; r < rounds; r++) {
  const raw = rawEvents / runRaw(rawGroups).seconds;
  const result = rebuildInChild();
  const rebuild = result.events / (result.rebuildMs / 1000);
  ratios.push(rebuild / raw);
  const detail = `lock ${Math.round(result.lockMs)} ms, peak RSS ${Math.round(result.rssRebuildKb / 1024)} MB`;
  log(
    `round ${r + 1}: raw ${Math.round(raw)} events/s, rebuild ${Math.round(rebuild)} events/s (${detail}): ratio ${(rebuild / raw).toFixed(2)}`,
  );
}
console.log(`rebuild / raw-direct batched, median of ${rounds}: ${median(ratios).toFixed(2)}`);
dropDb(path);
cleanUp();
