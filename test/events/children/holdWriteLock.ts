/**
 * Another writer (appendLock.test.ts): takes the store's write lock, appends one
 * event inside it, says "locked" on stdout, holds the lock HOLD_MS milliseconds,
 * then commits and says "committed".
 */
import { openStore } from "../../../src/index.js";

const [url = "", hold = "0", filename = ""] = process.argv.slice(2);
const store = openStore({ url });
store.db.exec("BEGIN IMMEDIATE");
store.emit.imageCurated({ filename, status: "rejected" }, { id: "other-writer", occurredAt: "2026-01-08T12:00:00Z" });
process.stdout.write("locked\n");
Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, Number(hold));
store.db.exec("COMMIT");
store.close();
process.stdout.write("committed\n");
