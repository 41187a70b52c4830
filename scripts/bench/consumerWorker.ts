// A child of scripts/bench/consumers.ts: something that waits for new events in another process
// and prints each new head position the moment it sees it. MODE=consumer is the store's consumer
// (runConsumer: file watch + poll); watch and pollN are the bare wake-up mechanisms it was chosen
// from, with nothing else around them. "cpu" on stdin answers with the CPU milliseconds used so far.
import { watch } from "node:fs";
import { basename, dirname } from "node:path";
import { createInterface } from "node:readline";
import { openConnection } from "../../src/db/connection.js";
import { prepareHeadPosition } from "../../src/events/readEvents.js";
import { openStore, runConsumer } from "../../src/index.js";

const [mode = "consumer", path = ""] = process.argv.slice(2);
const say = (line: string) => process.stdout.write(`${line}\n`);
const controller = new AbortController();

createInterface({ input: process.stdin }).on("line", (line) => {
  if (line === "cpu") {
    const c = process.cpuUsage();
    say(`cpu ${(c.user + c.system) / 1000}`);
  }
  if (line === "stop") controller.abort();
});

if (mode === "consumer") {
  const store = openStore({ url: path, stale: "ignore" });
  say("ready");
  await runConsumer(store, {
    name: `latency-${process.pid}`,
    from: "end",
    batchSize: 1000,
    signal: controller.signal,
    handle: (events) => {
      for (const e of events) say(String(e.position));
    },
  });
  store.close();
} else {
  const db = openConnection(path);
  const head = prepareHeadPosition(db);
  let seen = head();
  const check = () => {
    const h = head();
    if (h > seen) {
      seen = h;
      say(String(h));
    }
  };
  const timers: NodeJS.Timeout[] = [];
  if (mode === "watch") {
    const wal = `${basename(path)}-wal`;
    const watcher = watch(dirname(path), (_event, file) => {
      if (file !== wal) return;
      check();
      setTimeout(check, 2);
      setTimeout(check, 10);
    });
    timers.push(setInterval(check, 250));
    controller.signal.addEventListener("abort", () => watcher.close());
  } else {
    // pollN: PRAGMA data_version changes when another connection commits; a cheap question every N ms.
    const version = () => db.pragma("data_version", { simple: true });
    let v = version();
    timers.push(
      setInterval(
        () => {
          const now = version();
          if (now !== v) {
            v = now;
            check();
          }
        },
        Number(mode.slice("poll".length)),
      ),
    );
  }
  controller.signal.addEventListener("abort", () => {
    for (const t of timers) clearTimeout(t);
    db.close();
  });
  say("ready");
}
