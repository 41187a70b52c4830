/**
 * One of several pipeline processes writing to the same store at once
 * (concurrentEmitters.test.ts). It appends EVENTS events of its own, mixing
 * single appends, batches, appends with an expected version to streams every
 * child shares, and idempotent re-sends, and acknowledges each append on stdout.
 * A version conflict is reported and retried with the actual version; any other
 * error is reported and ends the child. PAUSE_MS (optional) sleeps between
 * appends (killedWriters.test.ts runs it among many writers until it is killed).
 */
import { type AppendedEvent, type NewEvent, openStore, VersionConflictError } from "../../../src/index.js";
import { env, prng, send, sendError } from "./protocol.js";

const child = Number(env("CHILD"));
const target = Number(env("EVENTS"));
const shared = Number(env("SHARED"));
const rand = prng(Number(env("SEED")));
const busyTimeoutMs = process.env.BUSY_TIMEOUT_MS ? Number(process.env.BUSY_TIMEOUT_MS) : undefined;
const pauseMs = Number(process.env.PAUSE_MS ?? "0");
const pause = () => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, pauseMs);
const store = openStore({ url: env("DB"), producer: `emitter-${child}`, ...(busyTimeoutMs ? { busyTimeoutMs } : {}) });

const figures = { events: 0, appends: 0, singles: 0, batches: 0, expectedVersionAppends: 0, conflicts: 0, resends: 0 };
let idSeq = 0;
const nextId = () => `c${child}-e${idSeq++}`;
let imageSeq = 0;
let batchSeq = 0;
let runSeq = 0;
const ownImages: string[] = [];
/** The version of each shared stream this child last saw: what it passes as expectedVersion. */
const seen = new Map<string, number>();
let lastAppend: { events: NewEvent[]; out: AppendedEvent[] } | undefined;

const generated = (filename: string): NewEvent => ({
  type: "ImageGenerated",
  id: nextId(),
  data: {
    filename,
    prompt: `child ${child} painting ${imageSeq}`,
    modelId: "sdxl-1.0",
    seed: rand.int(0, 1e6),
    tags: ["reliability"],
  },
});
const curated = (filename: string, expectedVersion?: number): NewEvent => ({
  type: "ImageCurated",
  id: nextId(),
  ...(expectedVersion === undefined ? {} : { expectedVersion }),
  data: {
    filename,
    status: rand.pick(["curated", "rejected", "pending"] as const),
    finalScore: Math.round(rand.next() * 100) / 10,
    isFeatured: rand.next() < 0.1,
  },
});
const newImage = () => `c${child}-${imageSeq++}.png`;

const record = (events: NewEvent[], out: AppendedEvent[]) => {
  send({ t: "ack", events: out.map((e) => [e.eventId, e.position, e.streamId, e.streamVersion, e.duplicate]) });
  figures.appends++;
  figures.events += out.filter((e) => !e.duplicate).length;
  for (const e of events) if (e.type === "ImageGenerated") ownImages.push(e.data.filename);
  for (const e of out) if (seen.has(e.streamId)) seen.set(e.streamId, e.streamVersion);
  lastAppend = { events, out };
};

const single = () => {
  figures.singles++;
  const e = ownImages.length === 0 || rand.next() < 0.5 ? generated(newImage()) : curated(rand.pick(ownImages));
  // Through the typed emitters, as pipeline code calls them.
  const out =
    e.type === "ImageGenerated"
      ? store.emit.imageGenerated(e.data, { id: e.id })
      : e.type === "ImageCurated"
        ? store.emit.imageCurated(e.data, { id: e.id })
        : undefined;
  if (!out) throw new Error(`single() built a ${e.type}`);
  record([e], [out]);
};

const batch = () => {
  figures.batches++;
  const events: NewEvent[] = [];
  const batchId = `c${child}-batch-${batchSeq++}`;
  const framed = rand.next() < 0.5;
  if (framed) events.push({ type: "BatchStarted", id: nextId(), data: { batchId, theme: "reliability" } });
  const size = rand.int(2, 12);
  const fresh: string[] = [];
  while (events.length < size) {
    if (fresh.length === 0 || rand.next() < 0.6) {
      const filename = newImage();
      fresh.push(filename);
      events.push(generated(filename));
    } else events.push(curated(rand.pick([...fresh, ...ownImages])));
  }
  if (rand.next() < 0.2) {
    const runId = `c${child}-run-${runSeq++}`;
    events.push({
      type: "TrainingStarted",
      id: nextId(),
      data: { runId, name: runId, modelPath: `models/${runId}.safetensors` },
    });
    events.push({ type: "TrainingCompleted", id: nextId(), data: { runId, finalLoss: rand.next() } });
  }
  if (framed)
    events.push({ type: "BatchFinished", id: nextId(), data: { batchId, imagesCreated: fresh.length, imagesKept: 0 } });
  record(events, store.append(events));
};

/** Curate a shared image with the version last seen, alone or inside a batch; on conflict, learn the version and retry. */
const expectedVersionAppend = () => {
  figures.expectedVersionAppends++;
  const filename = `shared-${rand.int(0, shared - 1)}.png`;
  const streamId = `image:${filename}`;
  const withOwnImage = rand.next() < 0.3;
  const ownFilename = withOwnImage ? newImage() : undefined;
  for (;;) {
    const expected = seen.get(streamId) ?? 1;
    // Fresh ids on every attempt: a rejected attempt must leave no trace for a retry to hide behind.
    const events = [...(ownFilename ? [generated(ownFilename)] : []), curated(filename, expected)];
    try {
      record(events, store.append(events));
      return;
    } catch (e) {
      if (!(e instanceof VersionConflictError)) throw e;
      figures.conflicts++;
      send({ t: "conflict", streamId: e.streamId, expected: e.expectedVersion, actual: e.actualVersion });
      seen.set(streamId, e.actualVersion);
    }
  }
};

/** A retry of the last append, as a process unsure whether its append landed would send it: a no-op. */
const resend = () => {
  if (!lastAppend) return;
  figures.resends++;
  const { events, out } = lastAppend;
  const again = store.append(events);
  const same = again.every((e, i) => e.duplicate && e.position === out[i]?.position && e.eventId === out[i]?.eventId);
  if (!same)
    throw new Error(`re-sent append was not a no-op: first ${JSON.stringify(out)}, then ${JSON.stringify(again)}`);
  send({ t: "ack", events: again.map((e) => [e.eventId, e.position, e.streamId, e.streamVersion, e.duplicate]) });
};

for (let s = 0; s < shared; s++) seen.set(`image:shared-${s}.png`, 1);
send({ t: "ready", pid: process.pid });
try {
  while (figures.events < target) {
    const roll = rand.next();
    if (roll < 0.4) single();
    else if (roll < 0.65) batch();
    else if (roll < 0.9) expectedVersionAppend();
    else resend();
    if (pauseMs > 0) pause();
  }
  send({ t: "done", figures });
  store.close();
} catch (e) {
  sendError(e);
  process.exitCode = 1;
}
