// One appending process of the concurrency benchmark: builds its share of the
// workload, says "ready", waits for "go" on stdin, appends, prints its figures as JSON.
import { createInterface } from "node:readline";
import { workload } from "../../src/demo/workload.js";
import { type NewEvent, openStore, StoreError } from "../../src/index.js";

const [path, prefix, images, perAppend, seed] = process.argv.slice(2);
const events = [...workload({ images: Number(images), prefix, seed: Number(seed) })];
const groups: NewEvent[][] = [];
for (let i = 0; i < events.length; i += Number(perAppend)) groups.push(events.slice(i, i + Number(perAppend)));
const store = openStore({ url: `sqlite:${path}`, producer: prefix });

const lines = createInterface({ input: process.stdin });
process.stdout.write("ready\n");
lines.once("line", () => {
  let busyErrors = 0;
  // Each append's time from call to return, waiting for the write lock included: the latency a pipeline sees.
  const latenciesMs: number[] = [];
  const t0 = process.hrtime.bigint();
  const cpu0 = process.cpuUsage();
  for (const g of groups) {
    const started = process.hrtime.bigint();
    try {
      store.append(g);
    } catch (e) {
      if (e instanceof StoreError && e.code === "STORE_BUSY") busyErrors++;
      else throw e;
    }
    latenciesMs.push(Number(process.hrtime.bigint() - started) / 1e6);
  }
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  const cpu = process.cpuUsage(cpu0);
  const cpuSeconds = (cpu.user + cpu.system) / 1e6;
  store.close();
  process.stdout.write(`${JSON.stringify({ events: events.length, seconds, cpuSeconds, busyErrors, latenciesMs })}\n`);
  lines.close();
});
