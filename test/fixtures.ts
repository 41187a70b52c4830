import type { EventInput, NewEvent } from "../src/index.js";

/** Small builders for realistic events; every field can be overridden. */
export const generated = (
  filename: string,
  at: string,
  data: Partial<EventInput["ImageGenerated"]> = {},
): NewEvent => ({
  type: "ImageGenerated",
  occurredAt: at,
  data: { filename, prompt: `a painting of ${filename}`, modelId: "sdxl-1.0", ...data },
});

export const curated = (filename: string, at: string, data: Partial<EventInput["ImageCurated"]> = {}): NewEvent => ({
  type: "ImageCurated",
  occurredAt: at,
  data: { filename, status: "curated", ...data },
});

export const trainingStarted = (
  runId: string,
  at: string,
  data: Partial<EventInput["TrainingStarted"]> = {},
): NewEvent => ({
  type: "TrainingStarted",
  occurredAt: at,
  data: { runId, name: runId, modelPath: `models/lora/${runId}.safetensors`, ...data },
});

export const batchStarted = (batchId: string, at: string, theme: string | null = null): NewEvent => ({
  type: "BatchStarted",
  occurredAt: at,
  data: { batchId, theme },
});

export const batchFinished = (
  batchId: string,
  at: string,
  data: Partial<EventInput["BatchFinished"]> = {},
): NewEvent => ({
  type: "BatchFinished",
  occurredAt: at,
  data: { batchId, imagesCreated: 0, imagesKept: 0, ...data },
});
