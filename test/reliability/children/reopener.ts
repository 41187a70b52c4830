/**
 * A pipeline process that opens the store for every event, as a short-lived script
 * would (restore.test.ts): openStore, one emit, close, EVENTS times. Each emit is
 * acknowledged once it returned. A StoreError is reported and the loop goes on (a
 * clean refusal is allowed); anything else is reported and ends the child.
 */
import { openStore, type Store, StoreError } from "../../../src/index.js";
import { env, send, sendError } from "./protocol.js";

const tag = env("TAG");
const events = Number(env("EVENTS"));
const url = env("DB");

send({ t: "ready", pid: process.pid });
let refused = 0;
for (let n = 0; n < events; n++) {
  let store: Store | undefined;
  try {
    store = openStore({ url, producer: `reopener-${tag}`, onWarning: () => {} });
    const out = store.emit.imageGenerated(
      { filename: `${tag}-${n}.png`, prompt: `reopened ${n}`, modelId: "sdxl-1.0", seed: n },
      { id: `${tag}-e${n}` },
    );
    send({ t: "ack", events: [[out.eventId, out.position, out.streamId, out.streamVersion, out.duplicate]] });
  } catch (e) {
    sendError(e);
    if (!(e instanceof StoreError)) {
      process.exitCode = 1;
      break;
    }
    refused++;
  } finally {
    store?.close();
  }
}
send({ t: "done", figures: { events, refused } });
