// Rebuild vs raw-direct batched, alternating in one process, for quick iteration:
//   npx tsx scripts/bench/rebuildRatio.ts [--events 200000] [--rounds 3]
// Prints each round's ratio and the median; the same figure as `npm run bench`'s rebuild row, measured faster.
import { parseArgs } from "node:util";
import { openStore, rebuildProjections } from "../../src/index.js";
import { runRaw, workloadGroups } from "./append.js";
import { cleanUp, dropDb, freshDb, log, median } from "./support.js";

const { values } = parseArgs({ options: { events: { type: "string", default: "200000" }, rounds: { type: "string", default: "3" } } });
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

const ratios: number[] = [];
for (let r = 0; r < rounds; r++) {
  const raw = rawEvents / runRaw(rawGroups).seconds;
  const result = rebuildProjections(store);
  const rebuild = result.events / (result.durationMs / 1000);
  ratios.push(rebuild / raw);
  log(`round ${r + 1}: raw ${Math.round(raw)} events/s, rebuild ${Math.round(rebuild)} events/s (lock ${Math.round(result.lockMs)} ms): ratio ${(rebuild / raw).toFixed(2)}`);
}
console.log(`rebuild / raw-direct batched, median of ${rounds}: ${median(ratios).toFixed(2)}`);
store.close();
dropDb(path);
cleanUp();
