// A child of scripts/bench/huge.ts: one of rebuild, audit or a consumer's catch-up from position 0 to the
// head, alone in its process, so the peak RSS it prints is that operation's (the store's opening included).
import { openStore, runConsumer } from "../../src/index.js";
import { auditProjections, rebuildProjections } from "../../src/operations.js";
import { ownPeakRssKb } from "./peakRss.js";

const [operation = "", path = ""] = process.argv.slice(2);
const store = openStore({ url: `sqlite:${path}`, stale: "ignore" });
const rssOpenKb = ownPeakRssKb();
const c0 = process.cpuUsage();
const t0 = performance.now();
let events = 0;
let ok = true;
if (operation === "rebuild") events = rebuildProjections(store).events;
else if (operation === "audit") {
  const report = auditProjections(store);
  events = report.events;
  ok = report.ok;
} else if (operation === "consumer") {
  // The library consumer as users run it (default batch size, at-least-once), from the log's start.
  const run = await runConsumer(store, {
    name: `huge-catch-up-${process.pid}`,
    from: "beginning",
    stopAtHead: true,
    handle: () => {},
  });
  events = run.delivered;
} else throw new Error(`hugeWorker: unknown operation ${operation}`);
const ms = performance.now() - t0;
const cpu = process.cpuUsage(c0);
store.close();
const figures = {
  operation,
  events,
  ok,
  ms,
  cpuMs: (cpu.user + cpu.system) / 1000,
  rssOpenKb,
  peakRssKb: ownPeakRssKb(),
  // What resourceUsage() says, the parent's RSS included: shown to compare, not used.
  maxRssKb: process.resourceUsage().maxRSS,
};
process.stdout.write(`${JSON.stringify(figures)}\n`);
