/**
 * An operator's restore, to be killed (restoreKill.test.ts). It starts, says
 * "ready", and waits for a line on stdin (so the parent can start it ahead of
 * time); then it reports "restoring" just before it calls
 * restoreDatabase(FROM, LIVE) and "restored" when the call returned, and idles
 * until the parent kills it.
 */
import { restoreDatabase } from "../../../src/operations.js";
import { env, send, sendError } from "./protocol.js";

const from = env("FROM");
const live = env("LIVE");
send({ t: "ready", pid: process.pid });
process.stdin.once("data", async () => {
  try {
    send({ t: "phase", name: "restoring" });
    // Awaited whether the restore returns its result or a promise of it.
    await restoreDatabase(from, live);
    send({ t: "phase", name: "restored" });
  } catch (e) {
    sendError(e);
  }
});
// Idle until killed; if the parent goes away first (its end of stdin closes), leave too.
process.stdin.on("end", () => process.exit(0));
setInterval(() => {}, 60_000);
