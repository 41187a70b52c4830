import type { NewEvent } from "../events/envelope.js";
import { randomPicker, round, seededRandom } from "./random.js";

const THEMES: Record<string, { subjects: string[]; styles: string[]; tags: string[] }> = {
  landscapes: {
    subjects: [
      "a sunset over snow-capped mountains",
      "a misty pine forest at dawn",
      "a desert canyon under a starry sky",
      "rolling green hills after rain",
    ],
    styles: ["highly detailed", "golden hour lighting", "wide angle", "matte painting"],
    tags: ["landscape", "nature", "mountains", "sunset"],
  },
  portraits: {
    subjects: [
      "an elderly fisherman with a weathered face",
      "a dancer mid-spin in a red dress",
      "a child reading by candlelight",
    ],
    styles: ["oil painting", "soft rim light", "shallow depth of field", "renaissance style"],
    tags: ["portrait", "people", "character"],
  },
  cityscapes: {
    subjects: ["a neon-lit alley in the rain", "a harbour city at blue hour", "rooftops of an old town in winter"],
    styles: ["cyberpunk", "cinematic", "long exposure", "isometric"],
    tags: ["city", "architecture", "night"],
  },
  botanical: {
    subjects: ["a watercolour study of peonies", "ferns unfurling in morning light", "a glasshouse full of orchids"],
    styles: ["botanical illustration", "macro photography", "pastel palette"],
    tags: ["flowers", "botanical", "macro"],
  },
  abstract: {
    subjects: ["swirling ribbons of liquid colour", "fractured geometry in primary colours", "ink blooming in water"],
    styles: ["generative art", "bauhaus", "high contrast"],
    tags: ["abstract", "colour", "pattern"],
  },
};

const MODELS = [
  "stabilityai/stable-diffusion-xl-base-1.0",
  "runwayml/stable-diffusion-v1-5",
  "sdxl-lora/landscape_style_v1",
];

export interface PipelineDayOptions {
  seed?: number;
  /** The UTC day the pipeline runs (YYYY-MM-DD). */
  day?: string;
  /** Images per creation batch (a range; each batch draws its own count). */
  imagesPerBatch?: [min: number, max: number];
}

/**
 * A realistic, deterministic day of an AI-artist pipeline as events: a LoRA
 * training run that completes, one that fails, five themed creation batches
 * whose images are generated, scored and curated (the best featured), and a
 * last batch still in progress with images awaiting curation. Event ids derive
 * from the seed, so replaying the same day again is an idempotent no-op.
 * @example store.append(pipelineDay({ seed: 42 }))
 */
export const pipelineDay = ({
  seed = 42,
  day = "2026-01-08",
  imagesPerBatch = [40, 80],
}: PipelineDayOptions = {}): NewEvent[] => {
  const random = seededRandom(seed);
  const pick = randomPicker(random);
  let clock = Date.parse(`${day}T06:00:00Z`);
  const at = (advanceSeconds: number) => {
    clock += advanceSeconds * 1000;
    return new Date(clock).toISOString();
  };
  const events: NewEvent[] = [];
  const push = (e: NewEvent) =>
    events.push({
      ...e,
      id: `demo-${seed}-${day}-${events.length + 1}`,
      metadata: { producer: "demo-pipeline", correlationId: `day-${day}` },
    });

  push({
    type: "TrainingStarted",
    occurredAt: at(0),
    data: {
      runId: `lora-landscape-${day}`,
      name: "landscape_style_v1",
      modelPath: "models/lora/landscape_v1.safetensors",
      config: {
        network_dim: 64,
        network_alpha: 32,
        learning_rate: 1e-4,
        max_train_steps: 2000,
        dataset: "datasets/landscapes",
      },
      datasetSize: 75,
    },
  });
  push({
    type: "TrainingCompleted",
    occurredAt: at(7200),
    data: {
      runId: `lora-landscape-${day}`,
      finalLoss: round(0.02 + random() * 0.01, 4),
      trainingTimeSeconds: 7200,
      metrics: { fid_score: round(25 + random() * 8, 1), sample_images: ["sample_1.png", "sample_2.png"] },
    },
  });
  push({
    type: "TrainingStarted",
    occurredAt: at(600),
    data: {
      runId: `lora-portrait-${day}`,
      name: "portrait_style_v1",
      modelPath: "models/lora/portrait_v1.safetensors",
      config: {
        network_dim: 128,
        network_alpha: 64,
        learning_rate: 2e-4,
        max_train_steps: 3000,
        dataset: "datasets/portraits",
      },
      datasetSize: 120,
    },
  });
  push({
    type: "TrainingFailed",
    occurredAt: at(2400),
    data: { runId: `lora-portrait-${day}`, reason: "CUDA out of memory at step 1184", trainingTimeSeconds: 2400 },
  });

  const themes = Object.entries(THEMES);
  themes.forEach(([theme, vocab], b) => {
    const batchId = `batch-${day}-${b + 1}-${theme}`;
    const last = b === themes.length - 1;
    push({ type: "BatchStarted", occurredAt: at(900), data: { batchId, theme } });
    const count = imagesPerBatch[0] + Math.floor(random() * (imagesPerBatch[1] - imagesPerBatch[0] + 1));
    const scores: number[] = [];
    let kept = 0;
    for (let i = 0; i < count; i++) {
      const time = at(20 + Math.floor(random() * 40));
      const filename = `${time.slice(0, 10).replaceAll("-", "")}_${time.slice(11, 19).replaceAll(":", "")}_${theme}_${i + 1}.png`;
      const seedValue = Math.floor(random() * 2 ** 31);
      push({
        type: "ImageGenerated",
        occurredAt: time,
        data: {
          filename,
          prompt: `${pick(vocab.subjects)}, ${pick(vocab.styles)}, ${pick(vocab.styles)}`,
          negativePrompt: "blurry, low quality, distorted, watermark",
          sourceQuery: random() < 0.3 ? `${theme} reference` : null,
          modelId: pick(MODELS),
          generationParams: {
            width: 1024,
            height: 1024,
            num_inference_steps: pick([25, 30, 40]),
            guidance_scale: pick([6.5, 7.5, 8.5]),
            lora_scale: 0.8,
          },
          seed: seedValue,
          tags: [theme, pick(vocab.tags), pick(vocab.tags)].filter((t, k, all) => all.indexOf(t) === k),
        },
      });
      // The last batch is still being curated when the day ends: its second half stays pending.
      if (last && i >= count / 2) continue;
      const aesthetic = round(3 + random() * 7, 2);
      const clip = round(0.5 + random() * 0.5, 3);
      const technical = round(0.6 + random() * 0.4, 3);
      const final = round(Math.min(10, aesthetic * 0.6 + clip * 2.5 + technical * 1.5), 2);
      // A curator keeps what scores well, and now and then a weaker image for its idea.
      const keep = final >= 6.5 || (final >= 4 && random() < 0.15);
      if (keep) kept++;
      scores.push(final);
      push({
        type: "ImageCurated",
        occurredAt: at(5),
        data: {
          filename,
          status: keep ? "curated" : "rejected",
          aestheticScore: aesthetic,
          clipScore: clip,
          technicalScore: technical,
          finalScore: final,
          isFeatured: final >= 9,
        },
      });
    }
    if (!last) {
      const avg = scores.length ? round(scores.reduce((s, x) => s + x, 0) / scores.length, 2) : null;
      push({
        type: "BatchFinished",
        occurredAt: at(60),
        data: { batchId, imagesCreated: count, imagesKept: kept, avgScore: avg },
      });
    }
  });
  return events;
};
