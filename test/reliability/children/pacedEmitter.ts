/**
 * A pipeline process that keeps appending, a few events every PACE_MS milliseconds, until
 * it is killed (consumerCrash.test.ts): the log grows while consumers are killed and restarted.
 * Single events through the typed emitters and small batches, as a pipeline writes them.
 */
import { openStore } from "../../../src/index.js";
import { env, prng, send, sendError } from "./protocol.js";

const tag = env("TAG");
const pace = Number(env("PACE_MS"));
const rand = prng(Number(env("SEED")));
const store = openStore({ url: env("DB"), producer: `paced-${tag}` });
let seq = 0;
const images: string[] = [];

const appendSome = () => {
  if (images.length > 0 && rand.next() < 0.4) {
    const filename = rand.pick(images);
    store.emit.imageCurated(
      { filename, status: "curated", finalScore: rand.int(0, 100) / 10 },
      { id: `${tag}-${seq++}` },
    );
    return;
  }
  const batchId = `${tag}-batch-${seq++}`;
  const filenames = Array.from({ length: rand.int(1, 4) }, () => `${tag}-${seq++}.png`);
  store.append([
    { type: "BatchStarted", id: `${tag}-${seq++}`, data: { batchId } },
    ...filenames.map((filename) => ({
      type: "ImageGenerated" as const,
      id: `${tag}-${seq++}`,
      data: { filename, prompt: `paced ${seq}`, modelId: "sdxl-1.0" },
    })),
    { type: "BatchFinished", id: `${tag}-${seq++}`, data: { batchId, imagesCreated: filenames.length, imagesKept: 0 } },
  ]);
  images.push(...filenames);
};

send({ t: "ready", pid: process.pid });
const timer = setInterval(() => {
  try {
    appendSome();
  } catch (e) {
    sendError(e);
    clearInterval(timer);
    process.exitCode = 1;
  }
}, pace);
