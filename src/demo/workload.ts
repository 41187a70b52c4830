import type { NewEvent } from "../events/envelope.js";
import { randomPicker, round, seededRandom } from "./random.js";

const SUBJECTS = [
  "a sunset over snow-capped mountains",
  "a misty pine forest at dawn",
  "a desert canyon under a starry sky",
  "rolling green hills after rain",
  "an elderly fisherman with a weathered face",
  "a dancer mid-spin in a red dress",
  "a child reading by candlelight",
  "a neon-lit alley in the rain",
  "a harbour city at blue hour",
  "rooftops of an old town in winter",
  "a watercolour study of peonies",
  "ferns unfurling in morning light",
  "a glasshouse full of orchids",
  "swirling ribbons of liquid colour",
  "fractured geometry in primary colours",
  "ink blooming in water",
];
const STYLES = [
  "highly detailed",
  "golden hour lighting",
  "wide angle",
  "matte painting",
  "oil painting",
  "soft rim light",
  "shallow depth of field",
  "renaissance style",
  "cyberpunk",
  "cinematic",
  "long exposure",
  "isometric",
  "botanical illustration",
  "macro photography",
  "pastel palette",
  "generative art",
  "bauhaus",
  "high contrast",
  "volumetric fog",
  "8k resolution",
  "trending on artstation",
  "film grain",
];
const NEGATIVES = [
  "blurry, low quality, distorted",
  "blurry, low quality, distorted, watermark",
  "extra fingers, deformed hands, text",
  "oversaturated, jpeg artifacts",
];
const MODELS = [
  "stabilityai/stable-diffusion-xl-base-1.0",
  "runwayml/stable-diffusion-v1-5",
  "sdxl-lora/landscape_style_v1",
  "sdxl-lora/portrait_style_v2",
  "black-forest-labs/flux.1-schnell",
];
const THEMES = ["landscapes", "portraits", "cityscapes", "botanical", "abstract"];
const TAGS = [
  "landscape",
  "nature",
  "mountains",
  "sunset",
  "portrait",
  "people",
  "city",
  "night",
  "flowers",
  "macro",
  "abstract",
  "pattern",
  "winter",
];

export interface WorkloadOptions {
  seed?: number;
  /** How many images (each one ImageGenerated and, unless still awaiting curation, one ImageCurated). */
  images: number;
  /** Prefix of every filename, batch and run id, so several workloads can share one log. */
  prefix?: string;
  /** First event time (ISO-8601). Images come about every 30 s after it. */
  start?: string;
  /** Images per creation batch, a range. */
  imagesPerBatch?: [min: number, max: number];
  /** One LoRA training run per this many batches. */
  batchesPerTrainingRun?: number;
  /** Share of images a human re-curates later in the log (a second ImageCurated, often moving tier). */
  recurateShare?: number;
  /** Share of images, the newest, still awaiting curation when the workload ends. */
  pendingShare?: number;
}

/**
 * A deterministic, realistic stream of pipeline events for benchmarks and
 * large tests: themed creation batches whose images are generated (prompts of
 * 80–200 characters, negative prompts, 5 models, generation params, tags) and
 * curated, a training run every few batches (a fifth of them fail), optional
 * re-curations and a curation backlog at the end. Events carry no ids: the
 * store gives each a fresh UUIDv7, as for an ordinary emitter.
 * @example for (const e of workload({ images: 1000 })) store.append([e]);
 */
export function* workload(options: WorkloadOptions): Generator<NewEvent> {
  const {
    seed = 7,
    images,
    prefix = "w",
    imagesPerBatch = [20, 100],
    batchesPerTrainingRun = 50,
    recurateShare = 0,
    pendingShare = 0,
  } = options;
  const random = seededRandom(seed);
  const pick = randomPicker(random);
  let clock = Date.parse(options.start ?? "2025-01-01T00:00:00Z");
  const at = (seconds: number) => {
    clock += seconds * 1000;
    return new Date(clock).toISOString();
  };
  const pendingFrom = images - Math.floor(images * pendingShare);
  const recurations: { filename: string; due: number }[] = [];

  let image = 0;
  let batch = 0;
  let run: string | undefined;
  while (image < images) {
    if (batch % batchesPerTrainingRun === 0) {
      if (run)
        yield random() < 0.8
          ? {
              type: "TrainingCompleted",
              occurredAt: at(1),
              data: {
                runId: run,
                finalLoss: round(0.01 + random() * 0.05, 4),
                trainingTimeSeconds: round(1800 + random() * 9000, 1),
                metrics: { fid_score: round(20 + random() * 15, 1) },
              },
            }
          : {
              type: "TrainingFailed",
              occurredAt: at(1),
              data: {
                runId: run,
                reason: `CUDA out of memory at step ${Math.floor(random() * 3000)}`,
                trainingTimeSeconds: round(random() * 3600, 1),
              },
            };
      run = `${prefix}-run-${batch / batchesPerTrainingRun + 1}`;
      const theme = pick(THEMES);
      yield {
        type: "TrainingStarted",
        occurredAt: at(1),
        data: {
          runId: run,
          name: `${theme}_style_v${batch / batchesPerTrainingRun + 1}`,
          modelPath: `models/lora/${run}.safetensors`,
          config: { network_dim: pick([32, 64, 128]), network_alpha: 32, learning_rate: 1e-4, max_train_steps: 2000 },
          datasetSize: 50 + Math.floor(random() * 150),
        },
      };
    }
    batch++;
    const batchId = `${prefix}-batch-${batch}`;
    const theme = pick(THEMES);
    yield { type: "BatchStarted", occurredAt: at(1), data: { batchId, theme } };
    const count = Math.min(
      images - image,
      imagesPerBatch[0] + Math.floor(random() * (imagesPerBatch[1] - imagesPerBatch[0] + 1)),
    );
    const scores: number[] = [];
    for (let i = 0; i < count; i++, image++) {
      const time = at(20 + Math.floor(random() * 20));
      const filename = `${prefix}_${time.slice(0, 10).replaceAll("-", "")}_${time.slice(11, 19).replaceAll(":", "")}_${theme}_${image + 1}.png`;
      let prompt = `${pick(SUBJECTS)}, ${pick(STYLES)}`;
      const length = 80 + Math.floor(random() * 121);
      while (prompt.length < length) prompt += `, ${pick(STYLES)}`;
      yield {
        type: "ImageGenerated",
        occurredAt: time,
        data: {
          filename,
          prompt: prompt.slice(0, length),
          negativePrompt: pick(NEGATIVES),
          sourceUrl: random() < 0.3 ? `https://images.unsplash.com/photo-${Math.floor(random() * 1e9)}` : null,
          sourceQuery: random() < 0.3 ? `${theme} reference` : null,
          modelId: pick(MODELS),
          generationParams: {
            width: 1024,
            height: pick([1024, 1344]),
            num_inference_steps: pick([25, 30, 40]),
            guidance_scale: pick([6.5, 7.5, 8.5]),
            lora_scale: 0.8,
          },
          seed: Math.floor(random() * 2 ** 31),
          tags: [theme, pick(TAGS), pick(TAGS)].filter((t, k, all) => all.indexOf(t) === k),
        },
      };
      if (image >= pendingFrom) continue;
      const aesthetic = round(2 + random() * 8, 2);
      const clip = round(0.4 + random() * 0.6, 3);
      const technical = round(0.5 + random() * 0.5, 3);
      const final = round(Math.min(10, aesthetic * 0.6 + clip * 2.5 + technical * 1.5), 2);
      scores.push(final);
      yield {
        type: "ImageCurated",
        occurredAt: at(2),
        data: {
          filename,
          status: final >= 5 ? "curated" : "rejected",
          aestheticScore: aesthetic,
          clipScore: clip,
          technicalScore: technical,
          finalScore: final,
          isFeatured: final >= 9,
        },
      };
      if (random() < recurateShare) recurations.push({ filename, due: image + 1 + Math.floor(random() * 500) });
    }
    const due = recurations.filter((r) => r.due <= image);
    recurations.splice(0, recurations.length, ...recurations.filter((r) => r.due > image));
    for (const { filename } of due) {
      const final = round(random() * 10, 2);
      yield {
        type: "ImageCurated",
        occurredAt: at(1),
        data: {
          filename,
          status: random() < 0.8 ? "curated" : "rejected",
          finalScore: random() < 0.1 ? null : final,
          isFeatured: final >= 9,
        },
      };
    }
    if (image < pendingFrom) {
      const kept = scores.filter((s) => s >= 5).length;
      const avg = scores.length ? round(scores.reduce((s, x) => s + x, 0) / scores.length, 2) : null;
      yield {
        type: "BatchFinished",
        occurredAt: at(30),
        data: { batchId, imagesCreated: count, imagesKept: kept, avgScore: avg },
      };
    }
  }
  for (const { filename } of recurations)
    yield {
      type: "ImageCurated",
      occurredAt: at(1),
      data: { filename, status: "curated", finalScore: round(random() * 10, 2) },
    };
}
