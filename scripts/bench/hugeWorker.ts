// A child of scripts/bench/huge.ts: one of rebuild, audit or a consumer's catch-up from position 0 to the
// head, alone in its process, so the peak RSS it prints is that operation's (the store's opening included).
import { readFileSync } from "node:fs";
import { openStore, runConsumer } from "../../src/index.js";
import { auditProjections, rebuildProjections } from "../../src/operations.js";

/**
 * This process's own peak RSS in KB: VmHWM, the high-water mark of the memory map exec gave it.
 * Not resourceUsage().maxRSS: Linux carries the forking parent's RSS into a child's maxRSS across
 * exec, so a child of a parent at 300 MB reports at least 300 MB whatever it uses.
 */
const ownPeakRssKb = (): number => {
  const line = /^VmHWM:\s+(\d+) kB$/m.exec(readFileSync("/proc/self/status", "utf8"));
  return line ? Number(line[1]) : process.resourceUsage().maxRSS;
};

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
