// A pipeline process for the concurrency test: emits batches until the stop file
// appears, then prints how many it emitted and any failure. Run with tsx.
import { existsSync } from "node:fs";
import { openStore } from "../../../src/index.js";

const [path, stopFile] = process.argv.slice(2);
if (!path || !stopFile) throw new Error("usage: batchEmitter.ts DB STOPFILE");
const store = openStore({ url: path, producer: "emitter", stale: "ignore" });
const pause = () => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 2);
let emitted = 0;
const failures: string[] = [];
process.stdout.write("ready\n");
while (!existsSync(stopFile)) {
  try {
    store.emit.batchStarted({ batchId: `emitter-${emitted}` });
    emitted++;
  } catch (e) {
    failures.push(String(e));
    break;
  }
  pause();
}
store.close();
process.stdout.write(`${JSON.stringify({ emitted, failures })}\n`);
