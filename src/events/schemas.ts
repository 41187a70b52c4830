import { z } from "zod";

/** The day exists in its month: Date.parse rolls 2026-02-30 over to March 2 instead of refusing it. */
const isCalendarDay = (s: string): boolean => {
  const [year = 0, month = 0, day = 0] = s.slice(0, 10).split("-").map(Number);
  return day <= new Date(Date.UTC(year, month, 0)).getUTCDate();
};

const CANONICAL_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
const ISO_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/;
const TIME_MESSAGE = "expected an ISO-8601 time with a zone, e.g. 2026-01-08T12:00:00Z";

/** An ISO-8601 time with a zone, as the canonical stored form (UTC, milliseconds, as `Date.toISOString()` prints it), or undefined. */
const canonicalTime = (s: string): string | undefined => {
  // Most emitters already send the canonical form: one Date round trip proves it a real instant (2026-02-30 would not survive).
  if (CANONICAL_TIME.test(s)) {
    const ms = Date.parse(s);
    if (!Number.isNaN(ms) && new Date(ms).toISOString() === s) return s;
  }
  if (!ISO_TIME.test(s) || !isCalendarDay(s)) return undefined;
  const ms = Date.parse(s);
  return Number.isNaN(ms) ? undefined : new Date(ms).toISOString();
};

/** Canonical stored time: ISO-8601 UTC with milliseconds, as `Date.toISOString()` prints it. */
export const isoTime = z.string().transform((s, ctx) => {
  const iso = canonicalTime(s);
  if (iso !== undefined) return iso;
  ctx.issues.push({ code: "custom", message: TIME_MESSAGE, input: s });
  return z.NEVER;
});

const key = z.string().trim().min(1).max(512);
const score = (max: number) => z.number().finite().min(0).max(max);
const jsonObject = z.record(z.string(), z.json());

export const ImageGenerated = z.strictObject({
  filename: key,
  prompt: z.string().min(1),
  negativePrompt: z.string().default(""),
  sourceUrl: z.string().nullable().optional(),
  sourceQuery: z.string().nullable().optional(),
  modelId: z.string().min(1),
  generationParams: jsonObject.default({}),
  seed: z.number().int().nullable().optional(),
  tags: z.array(z.string()).default([]),
});

export const ImageCurated = z.strictObject({
  filename: key,
  status: z.enum(["pending", "curated", "rejected"]),
  aestheticScore: score(10).nullable().optional(),
  clipScore: score(1).nullable().optional(),
  technicalScore: score(1).nullable().optional(),
  finalScore: score(10).nullable().optional(),
  isFeatured: z.boolean().default(false),
  // v2. No default: a retry of a v1 event must serialise exactly as it was stored.
  diversityScore: score(10).nullable().optional(),
});

export const TrainingStarted = z.strictObject({
  runId: key,
  name: z.string().min(1),
  modelPath: z.string().min(1),
  config: jsonObject.default({}),
  datasetSize: z.number().int().min(0).nullable().optional(),
});

export const TrainingCompleted = z.strictObject({
  runId: key,
  finalLoss: z.number().finite().min(0).nullable().optional(),
  trainingTimeSeconds: z.number().finite().min(0).nullable().optional(),
  metrics: jsonObject.default({}),
  modelPath: z.string().min(1).optional(),
});

export const TrainingFailed = z.strictObject({
  runId: key,
  reason: z.string().min(1),
  trainingTimeSeconds: z.number().finite().min(0).nullable().optional(),
});

export const BatchStarted = z.strictObject({
  batchId: key,
  theme: z.string().nullable().optional(),
});

export const BatchFinished = z
  .strictObject({
    batchId: key,
    imagesCreated: z.number().int().min(0),
    imagesKept: z.number().int().min(0),
    avgScore: score(10).nullable().optional(),
  })
  .refine((b) => b.imagesKept <= b.imagesCreated, {
    message: "imagesKept cannot exceed imagesCreated",
    path: ["imagesKept"],
  });

/**
 * Every event type: its payload schema (the newest version) and that version.
 * Older stored versions are upcast in `upcast.ts`.
 */
export const eventTypes = {
  ImageGenerated: { schema: ImageGenerated, version: 1 },
  ImageCurated: { schema: ImageCurated, version: 2 },
  TrainingStarted: { schema: TrainingStarted, version: 1 },
  TrainingCompleted: { schema: TrainingCompleted, version: 1 },
  TrainingFailed: { schema: TrainingFailed, version: 1 },
  BatchStarted: { schema: BatchStarted, version: 1 },
  BatchFinished: { schema: BatchFinished, version: 1 },
} as const;

export type EventType = keyof typeof eventTypes;
export const EVENT_TYPES = [
  "ImageGenerated",
  "ImageCurated",
  "TrainingStarted",
  "TrainingCompleted",
  "TrainingFailed",
  "BatchStarted",
  "BatchFinished",
] as const satisfies readonly EventType[];
export const isEventType = (t: string): t is EventType => Object.hasOwn(eventTypes, t);

/** Events that open a stream, and events after which a stream takes no more. */
export const OPENING_EVENTS: ReadonlySet<string> = new Set<EventType>(["ImageGenerated", "TrainingStarted", "BatchStarted"]);
export const CLOSING_EVENTS: ReadonlySet<string> = new Set<EventType>(["TrainingCompleted", "TrainingFailed", "BatchFinished"]);

/** Payload of each event type after parsing (defaults applied), and as the emitter may write it. */
export type EventData = { [T in EventType]: z.output<(typeof eventTypes)[T]["schema"]> };
export type EventInput = { [T in EventType]: z.input<(typeof eventTypes)[T]["schema"]> };

/** Free-form context carried beside the payload: who produced it and why. */
export const Metadata = z
  .strictObject({
    correlationId: z.string().optional(),
    causationId: z.string().optional(),
    producer: z.string().optional(),
  })
  .catchall(z.json());
export type Metadata = z.output<typeof Metadata>;
