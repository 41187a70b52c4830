/**
 * A pipeline process that appends as fast as it can until it is killed
 * (crashSafety.test.ts). MODE=single emits one event per call through the typed
 * emitters; MODE=batch appends batches of 20-120 events in one call, each event
 * carrying its batch's tag and size in metadata so the parent can tell a whole
 * batch from a partial one. Every call is acknowledged on stdout after it returned.
 * PAUSE_MS (optional) sleeps between calls, so that many appenders at once
 * (killedWriters.test.ts) share the lock without growing the log without bound.
 */
import { type NewEvent, openStore } from "../../../src/index.js";
import { env, prng, send, sendError } from "./protocol.js";

const mode = env("MODE");
const tag = env("TAG");
const rand = prng(Number(env("SEED")));
const store = openStore({ url: env("DB"), producer: `appender-${tag}` });
const LIMIT = 100_000;
const pauseMs = Number(process.env.PAUSE_MS ?? "0");
const pause = () => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, pauseMs);

let seq = 0;
const id = () => `${tag}-e${seq++}`;
const images: string[] = [];
let imageSeq = 0;
const newImage = () => `${tag}-${imageSeq++}.png`;
const scores = () => ({
  status: rand.pick(["curated", "rejected"] as const),
  finalScore: Math.round(rand.next() * 100) / 10,
  isFeatured: rand.next() < 0.2,
});

const appendSingle = () => {
  const filename = images.length > 0 && rand.next() < 0.5 ? rand.pick(images) : undefined;
  const out = filename
    ? store.emit.imageCurated({ filename, ...scores() }, { id: id() })
    : store.emit.imageGenerated(
        { filename: newImage(), prompt: `crash test ${seq}`, modelId: "sdxl-1.0", seed: seq },
        { id: id() },
      );
  if (!filename) images.push(out.streamId.slice("image:".length));
  send({ t: "ack", events: [[out.eventId, out.position, out.streamId, out.streamVersion, out.duplicate]] });
};

let batchSeq = 0;
const appendBatch = () => {
  const batchTag = `${tag}-b${batchSeq++}`;
  const size = rand.int(20, 120);
  const metadata = { correlationId: batchTag, batchSize: size };
  const fresh: string[] = [];
  const events: NewEvent[] = [
    { type: "BatchStarted", id: id(), metadata, data: { batchId: batchTag, theme: "crash" } },
  ];
  while (events.length < size - 1) {
    if (fresh.length === 0 || rand.next() < 0.6) {
      const filename = newImage();
      fresh.push(filename);
      events.push({
        type: "ImageGenerated",
        id: id(),
        metadata,
        data: { filename, prompt: `crash batch ${batchTag}`, modelId: "sdxl-1.0", tags: ["crash"] },
      });
    } else events.push({ type: "ImageCurated", id: id(), metadata, data: { filename: rand.pick(fresh), ...scores() } });
  }
  events.push({
    type: "BatchFinished",
    id: id(),
    metadata,
    data: { batchId: batchTag, imagesCreated: fresh.length, imagesKept: 0 },
  });
  const out = store.append(events);
  send({
    t: "ack",
    tag: batchTag,
    events: out.map((e) => [e.eventId, e.position, e.streamId, e.streamVersion, e.duplicate]),
  });
};

send({ t: "ready", pid: process.pid });
try {
  for (let n = 0; n < LIMIT; n++) {
    (mode === "batch" ? appendBatch : appendSingle)();
    if (pauseMs > 0) pause();
  }
  send({ t: "done", figures: { appends: LIMIT } });
} catch (e) {
  sendError(e);
  process.exitCode = 1;
}
