/**
 * A pipeline process that writes until the disk (or its file-size limit) is full
 * (faults.test.ts): single appends and batches of ~2 KB events, each acknowledged
 * after it returned. After the first failure it reports the error, tries twice
 * more (each must fail the same clear way, writing nothing) and stops.
 */
import { type NewEvent, openStore } from "../../../src/index.js";
import { env, prng, send, sendError } from "./protocol.js";

const rand = prng(Number(env("SEED")));
const store = openStore({ url: env("DB"), producer: "filler" });
let seq = 0;
const image = (): NewEvent => ({
  type: "ImageGenerated",
  id: `fill-${seq}`,
  data: { filename: `fill-${seq++}.png`, prompt: "a wide landscape ".repeat(120), modelId: "m" },
});
const attempt = () => {
  const events = rand.next() < 0.5 ? [image()] : Array.from({ length: rand.int(5, 20) }, image);
  const out = store.append(events);
  send({ t: "ack", events: out.map((e) => [e.eventId, e.position, e.streamId, e.streamVersion, e.duplicate]) });
};

send({ t: "ready", pid: process.pid });
let failures = 0;
for (let n = 0; n < 100_000 && failures < 3; n++) {
  try {
    attempt();
  } catch (e) {
    failures++;
    sendError(e);
  }
}
send({ t: "done", figures: { attempts: seq, failures } });
store.close();
