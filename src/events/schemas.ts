import { z } from "zod";

const CANONICAL_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
// Hours 00-23 (24:00 is refused in every spelling), minutes and seconds 00-59, zone offsets up to ±23:59.
const ISO_TIME = /^\d{4}-\d{2}-\d{2}T([01]\d|2[0-3]):[0-5]\d(:[0-5]\d(\.\d{1,9})?)?(Z|[+-]([01]\d|2[0-3]):[0-5]\d)$/;
const TIME_MESSAGE = "expected an ISO-8601 time with a zone, e.g. 2026-01-08T12:00:00Z";
/** The first and last instants the store keeps: the years a four-digit canonical time can write, so stored times sort as text. */
const FIRST_TIME = "0001-01-01T00:00:00.000Z";
const LAST_TIME = "9999-12-31T23:59:59.999Z";
const FIRST_MS = Date.parse(FIRST_TIME);
const LAST_MS = Date.parse(LAST_TIME);

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
const isLeapYear = (y: number) => y % 4 === 0 && (y % 100 !== 0 || y % 400 === 0);

/** The day exists in its month: Date.parse rolls 2026-02-30 over to March 2 instead of refusing it. */
const isCalendarDay = (s: string): boolean => {
  const year = Number(s.slice(0, 4));
  const month = Number(s.slice(5, 7));
  const day = Number(s.slice(8, 10));
  const lastDay = month === 2 && isLeapYear(year) ? 29 : DAYS_IN_MONTH[month - 1];
  return lastDay !== undefined && day >= 1 && day <= lastDay;
};

/**
 * A string of the canonical shape names a real instant of years 0001-9999: the month
 * has that day, the clock that hour. What a `Date` round trip proves, without building
 * one on every event (figures: docs/performance.md).
 */
const isRealCanonical = (s: string): boolean =>
  s >= FIRST_TIME &&
  isCalendarDay(s) &&
  Number(s.slice(11, 13)) <= 23 &&
  Number(s.slice(14, 16)) <= 59 &&
  Number(s.slice(17, 19)) <= 59;

/**
 * An ISO-8601 time with a zone as the canonical stored form (UTC, milliseconds, as
 * `Date.toISOString()` prints it), or why not. Digits past the millisecond are cut.
 */
const canonicalTime = (s: string): { iso: string } | { message: string } => {
  // Most emitters already send the canonical form (2026-02-30 is not a real instant, and is not kept).
  if (CANONICAL_TIME.test(s)) return isRealCanonical(s) ? { iso: s } : rangeOrShape(s);
  if (!ISO_TIME.test(s) || !isCalendarDay(s)) return { message: TIME_MESSAGE };
  const ms = Date.parse(s);
  if (Number.isNaN(ms)) return { message: TIME_MESSAGE };
  return ms < FIRST_MS || ms > LAST_MS ? outOfRange(s) : { iso: new Date(ms).toISOString() };
};
const outOfRange = (s: string) => ({
  message: `${s} is outside the years 0001 to 9999 in UTC (${FIRST_TIME} to ${LAST_TIME}), the range stored times keep`,
});
/** A canonical-shaped time that is not real: year 0000 is out of range, 2026-02-30 is no time at all. */
const rangeOrShape = (s: string) => (s < FIRST_TIME ? outOfRange(s) : { message: TIME_MESSAGE });

/** Canonical stored time: ISO-8601 UTC with milliseconds, as `Date.toISOString()` prints it, years 0001-9999. */
export const isoTime = z.string().transform((s, ctx) => {
  const time = canonicalTime(s);
  if ("iso" in time) return time.iso;
  ctx.issues.push({ code: "custom", message: time.message, input: s });
  return z.NEVER;
});

/** An identifier (filename, runId, batchId): kept exactly as written, so never trimmed (prepareEvent refuses blanks at its ends). */
const key = z.string().min(1).max(512);
const score = (max: number) => z.number().finite().min(0).max(max);
/** A value JSON holds as it is: string, finite number, boolean, null, array or plain object of them. */
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

const isPlainObject = (v: object): boolean => {
  const proto: unknown = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
};
const describe = (v: unknown): string =>
  typeof v === "number"
    ? String(v)
    : v === undefined
      ? "undefined"
      : typeof v === "object" && v !== null
        ? (v.constructor?.name ?? "object")
        : typeof v;

/**
 * The path to the first value inside `value` that JSON cannot hold, or undefined.
 * A cycle is left for JSON.stringify to name. Hand-written instead of z.json():
 * its recursive union was a large share of validating an event (docs/performance.md).
 */
const findNotJson = (
  value: unknown,
  ancestors: object[],
): { path: (string | number)[]; value: unknown } | undefined => {
  switch (typeof value) {
    case "string":
    case "boolean":
      return undefined;
    case "number":
      return Number.isFinite(value) ? undefined : { path: [], value };
    case "object": {
      if (value === null || ancestors.includes(value)) return undefined;
      if (!Array.isArray(value) && !isPlainObject(value)) return { path: [], value };
      ancestors.push(value);
      try {
        // The path is built only on the way out of a failure: a valid value allocates nothing.
        for (const key in value) {
          if (!Object.hasOwn(value, key)) continue;
          const found = findNotJson(Reflect.get(value, key), ancestors);
          if (found) {
            found.path.unshift(Array.isArray(value) ? Number(key) : key);
            return found;
          }
        }
        return undefined;
      } finally {
        ancestors.pop();
      }
    }
    default:
      return { path: [], value };
  }
};

const jsonIssue = (value: unknown, ctx: z.RefinementCtx) => {
  const found = findNotJson(value, []);
  if (found)
    ctx.addIssue({
      code: "custom",
      path: found.path,
      message: `expected a JSON value (string, finite number, boolean, null, array or plain object), received ${describe(found.value)}`,
      input: found.value,
    });
};

/** Any JSON value (see findNotJson). */
export const jsonValue = z.custom<JsonValue>().superRefine(jsonIssue);

/** A plain object of JSON values: generation params, training config and metrics. */
const jsonObject = z
  .custom<{ [key: string]: JsonValue }>(
    (v) => typeof v === "object" && v !== null && !Array.isArray(v) && isPlainObject(v),
    {
      message: "expected an object of JSON values",
    },
  )
  .superRefine(jsonIssue);

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
 * @example eventTypes.ImageCurated.schema.safeParse(payload).success; eventTypes.ImageCurated.version // 2
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

/**
 * The name of an event type: past tense, PascalCase.
 * @example const type: EventType = "ImageCurated";
 */
export type EventType = keyof typeof eventTypes;

/**
 * The payload schemas compiled by zod (`z.compile`): a generated fast path that
 * hands any input it does not accept to the runtime parser, so results and issues
 * are the runtime's (test/events/readEvents.test.ts holds them to it), at a fraction
 * of the runtime's cost (docs/performance.md). Appends and reads both parse with these.
 */
export const payloadSchemas = {
  ImageGenerated: z.compile(eventTypes.ImageGenerated.schema),
  ImageCurated: z.compile(eventTypes.ImageCurated.schema),
  TrainingStarted: z.compile(eventTypes.TrainingStarted.schema),
  TrainingCompleted: z.compile(eventTypes.TrainingCompleted.schema),
  TrainingFailed: z.compile(eventTypes.TrainingFailed.schema),
  BatchStarted: z.compile(eventTypes.BatchStarted.schema),
  BatchFinished: z.compile(eventTypes.BatchFinished.schema),
} satisfies { [T in EventType]: (typeof eventTypes)[T]["schema"] };

/**
 * Every event type's name, in catalogue order.
 * @example for (const type of EVENT_TYPES) console.log(type, eventTypes[type].version);
 */
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
export const OPENING_EVENTS: ReadonlySet<string> = new Set<EventType>([
  "ImageGenerated",
  "TrainingStarted",
  "BatchStarted",
]);
export const CLOSING_EVENTS: ReadonlySet<string> = new Set<EventType>([
  "TrainingCompleted",
  "TrainingFailed",
  "BatchFinished",
]);

/**
 * Payload of each event type after parsing (defaults applied), as stored events carry it.
 * @example const data: EventData["ImageCurated"] = event.data;
 */
export type EventData = { [T in EventType]: z.output<(typeof eventTypes)[T]["schema"]> };
/**
 * Payload of each event type as an emitter may write it (defaulted fields optional).
 * @example const input: EventInput["BatchStarted"] = { batchId: "b1" };
 */
export type EventInput = { [T in EventType]: z.input<(typeof eventTypes)[T]["schema"]> };

/**
 * payloadSchemas typed per event type: for a type parameter `T`, `payloadParsers[type]`
 * parses to `EventData[T]`, so a payload and its type stay paired without a cast.
 * @example payloadParsers.BatchStarted.safeParse({ batchId: "b1" }).success // true
 */
export const payloadParsers: {
  readonly [T in EventType]: { safeParse(data: unknown): z.ZodSafeParseResult<EventData[T]> };
} = payloadSchemas;

/** Free-form context carried beside the payload: who produced it and why. */
export const Metadata = z
  .strictObject({
    correlationId: z.string().optional(),
    causationId: z.string().optional(),
    producer: z.string().optional(),
  })
  .catchall(jsonValue);
/**
 * Metadata of an event after parsing: correlationId, causationId, producer and any JSON values.
 * @example store.emit.batchStarted({ batchId: "b1" }, { metadata: { correlationId: "run-7" } })
 */
export type Metadata = z.output<typeof Metadata>;
