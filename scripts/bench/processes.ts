// npx tsx scripts/bench/processes.ts [processes] [images] [rounds]
// Appends from N processes at once against one process (batched and single), with per-append latency.
import { compareProcesses } from "./concurrent.js";
import { cleanUp } from "./support.js";

const [processes = 8, images = 20_000, rounds = 3] = process.argv.slice(2).map(Number);
try {
  for (const [kind, perAppend, n] of [
    ["batched", 1000, images],
    ["single", 1, Math.round(images / 10)],
  ] as const) {
    const r = await compareProcesses(processes, n, perAppend, rounds);
    console.log(
      JSON.stringify({
        kind,
        processes,
        events: r.events,
        ratio: Number(r.ratio.toFixed(2)),
        oneProcessEventsPerSec: Math.round(r.oneProcessEventsPerSec),
        manyProcessesEventsPerSec: Math.round(r.manyProcessesEventsPerSec),
        busyErrors: r.busyErrors,
        cpuUsPerEvent: {
          one: Number(r.oneProcessCpuUsPerEvent.toFixed(1)),
          many: Number(r.manyProcessesCpuUsPerEvent.toFixed(1)),
        },
        oneProcessLatencyMs: r.oneProcessLatencyMs,
        manyProcessesLatencyMs: r.manyProcessesLatencyMs,
      }),
    );
  }
} finally {
  cleanUp();
}
