/**
 * An operator's rebuild, to be killed (rebuildCrash.test.ts): it reports
 * "rebuilding" as it starts, "replayed" once the log has been replayed aside
 * (the swap into the live tables comes next) and "rebuilt" when it returned,
 * then idles until the parent kills it.
 */
import { openStore } from "../../../src/index.js";
import { rebuildProjections } from "../../../src/operations.js";
import { env, send, sendError } from "./protocol.js";

const store = openStore({ url: env("DB"), stale: "ignore" });
send({ t: "ready", pid: process.pid });
try {
  let replayed = false;
  send({ t: "phase", name: "rebuilding" });
  rebuildProjections(store, {
    onProgress: ({ done, total }) => {
      if (done >= total && !replayed) {
        replayed = true;
        send({ t: "phase", name: "replayed" });
      }
    },
  });
  send({ t: "phase", name: "rebuilt" });
} catch (e) {
  sendError(e);
}
setInterval(() => {}, 60_000);
