import { copyFileSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { isDeepStrictEqual } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { openConnection } from "../../src/db/connection.js";
import { knownMigrations, runDbmate } from "../../src/db/migrations.js";
import {
  MAX_DATA_BYTES,
  MAX_METADATA_BYTES,
  openStore,
  type Store,
  type StoreError,
  type StoreErrorCode,
} from "../../src/index.js";
import { cli } from "../cli/run.js";
import { refusal, tempDir } from "../support.js";
import { fileHash, migratedDb, processTempDir, recordFigures, stateHash } from "./support.js";

/**
 * The bad-input catalogue: every kind of bad input the store can be handed, each
 * refused with one clear error naming the problem, with the log and the tables
 * unchanged (sha256 of a canonical dump before and after). Valid but hostile
 * strings must instead be stored and read back exactly.
 */
const tried = {
  eventCases: 0,
  eventCasesInBatches: 0,
  callCases: 0,
  databaseCases: 0,
  hostileStringsRoundTripped: 0,
  cliLines: 0,
  cliDatabaseCases: 0,
  cliUsageErrors: 0,
};
afterAll(() =>
  recordFigures("bad-input", {
    ...tried,
    libraryTotal: tried.eventCases + tried.eventCasesInBatches + tried.callCases + tried.databaseCases,
    cliTotal: tried.cliLines + tried.cliDatabaseCases + tried.cliUsageErrors,
  }),
);
const EmitReport = z.object({
  lines: z.number(),
  accepted: z.number(),
  rejected: z.array(z.object({ line: z.number(), code: z.string(), message: z.string() })),
});

const image = (data: Record<string, unknown>, envelope: Record<string, unknown> = {}) => ({
  type: "ImageGenerated",
  data: { filename: "new.png", prompt: "a fox in snow", modelId: "sdxl-1.0", ...data },
  ...envelope,
});
const curation = (data: Record<string, unknown>, envelope: Record<string, unknown> = {}) => ({
  type: "ImageCurated",
  data: { filename: "base.png", status: "curated", ...data },
  ...envelope,
});
const cyclic: Record<string, unknown> = { depth: 1 };
cyclic.self = cyclic;
/** `{ a: { a: ... 1 } }`, `levels` objects deep (built in a loop: a recursive builder would overflow the stack itself). */
const nested = (levels: number): unknown => {
  let value: unknown = 1;
  for (let i = 0; i < levels; i++) value = { a: value };
  return value;
};
/** An object with an own `__proto__` key, as JSON.parse makes it (a literal would set the prototype instead). */
const withProto = (json: string): Record<string, unknown> => JSON.parse(json);
/** A string of `n` UTF-8 bytes made of 3-byte characters: short in UTF-16 units, long on disk. */
const euros = (bytes: number) => "€".repeat(Math.ceil(bytes / 3));

interface EventCase {
  name: string;
  event: unknown;
  code: StoreErrorCode;
  /** What the one-line message must name. */
  message: RegExp;
  /** Where `artist-store emit` words it otherwise (it parses the line itself first). */
  cliCode?: string;
  cliMessage?: RegExp;
}

const EVENT_CASES: EventCase[] = [
  // Malformed JSON: text where an object belongs, values JSON cannot hold.
  {
    name: "data given as JSON text",
    event: { type: "ImageGenerated", data: '{"filename": "x.png", "prompt": "p", "modelId": "m"}' },
    code: "INVALID_EVENT",
    message: /data: .*expected object, received string/,
  },
  {
    name: "data given as truncated JSON text",
    event: { type: "ImageGenerated", data: '{"filename": "x.png", "pro' },
    code: "INVALID_EVENT",
    message: /data: .*expected object, received string/,
  },
  {
    name: "the event given as JSON text",
    event: '{"type":"BatchStarted","data":{"batchId":"b"}}',
    code: "INVALID_EVENT",
    message: /expected object, received string/,
    cliMessage: /expected a JSON object/,
  },
  {
    name: "the event is null",
    event: null,
    code: "INVALID_EVENT",
    message: /expected object, received null/,
    cliMessage: /expected a JSON object/,
  },
  {
    name: "NaN inside a JSON field",
    event: image({ generationParams: { steps: Number.NaN } }),
    code: "INVALID_EVENT",
    message: /data\.generationParams\.steps/,
  },
  {
    name: "a Date inside a JSON field",
    event: image({ generationParams: { at: new Date(0) } }),
    code: "INVALID_EVENT",
    message: /data\.generationParams\.at/,
  },
  {
    name: "a cyclic value in metadata",
    event: image({}, { metadata: { trace: cyclic } }),
    code: "INVALID_EVENT",
    message: /metadata is not JSON: Converting circular structure.*'self'/,
  },
  {
    name: "an unpaired surrogate in a filename",
    event: image({ filename: "moon\uD800.png" }),
    code: "INVALID_EVENT",
    message: /data\.filename: contains an unpaired UTF-16 surrogate/,
  },
  {
    name: "an unpaired surrogate in a tag",
    event: image({ tags: ["ok", "bad\uDC00"] }),
    code: "INVALID_EVENT",
    message: /data\.tags\.1: contains an unpaired UTF-16 surrogate/,
  },
  // Wrong types.
  {
    name: "filename is a number",
    event: image({ filename: 42 }),
    code: "INVALID_EVENT",
    message: /data\.filename: .*expected string, received number/,
  },
  {
    name: "seed is a string",
    event: image({ seed: "42" }),
    code: "INVALID_EVENT",
    message: /data\.seed: .*expected number, received string/,
  },
  { name: "seed is fractional", event: image({ seed: 4.2 }), code: "INVALID_EVENT", message: /data\.seed: .*int/ },
  {
    name: "tags is a string",
    event: image({ tags: "a,b" }),
    code: "INVALID_EVENT",
    message: /data\.tags: .*expected array/,
  },
  {
    name: "isFeatured is a string",
    event: curation({ isFeatured: "yes" }),
    code: "INVALID_EVENT",
    message: /data\.isFeatured: .*expected boolean/,
  },
  {
    name: "imagesCreated is fractional",
    event: { type: "BatchFinished", data: { batchId: "open-batch", imagesCreated: 2.5, imagesKept: 0 } },
    code: "INVALID_EVENT",
    message: /data\.imagesCreated: .*int/,
  },
  {
    name: "expectedVersion is a string",
    event: curation({}, { expectedVersion: "2" }),
    code: "INVALID_EVENT",
    message: /expectedVersion: .*expected number, received string/,
  },
  {
    name: "expectedVersion is negative",
    event: curation({}, { expectedVersion: -1 }),
    code: "INVALID_EVENT",
    message: /expectedVersion: .*>=0/,
  },
  {
    name: "occurredAt without a zone",
    event: curation({}, { occurredAt: "2026-01-08 12:00:00" }),
    code: "INVALID_EVENT",
    message: /occurredAt: expected an ISO-8601 time with a zone/,
  },
  {
    name: "occurredAt on a day that does not exist",
    event: curation({}, { occurredAt: "2026-02-30T12:00:00Z" }),
    code: "INVALID_EVENT",
    message: /occurredAt: expected an ISO-8601 time/,
  },
  {
    name: "occurredAt after year 9999 once in UTC",
    event: curation({}, { occurredAt: "9999-12-31T23:30:00-01:00" }),
    code: "INVALID_EVENT",
    message: /occurredAt: 9999-12-31T23:30:00-01:00 is outside the years 0001 to 9999 in UTC/,
  },
  {
    name: "occurredAt in year 0000",
    event: curation({}, { occurredAt: "0000-06-01T12:00:00.000Z" }),
    code: "INVALID_EVENT",
    message: /occurredAt: .* is outside the years 0001 to 9999 in UTC/,
  },
  {
    name: "occurredAt before year 0001 once in UTC",
    event: curation({}, { occurredAt: "0001-01-01T00:30:00+01:00" }),
    code: "INVALID_EVENT",
    message: /occurredAt: .* is outside the years 0001 to 9999 in UTC/,
  },
  {
    name: "occurredAt at 24:00",
    event: curation({}, { occurredAt: "2026-01-08T24:00:00Z" }),
    code: "INVALID_EVENT",
    message: /occurredAt: expected an ISO-8601 time with a zone/,
  },
  {
    name: "occurredAt at 24:00 with milliseconds",
    event: curation({}, { occurredAt: "2026-01-08T24:00:00.000Z" }),
    code: "INVALID_EVENT",
    message: /occurredAt: expected an ISO-8601 time with a zone/,
  },
  {
    name: "generation params nested 1,500 levels deep",
    event: image({ generationParams: nested(1500) }),
    code: "INVALID_EVENT",
    message: /data\.generationParams\.a\.a\.a[.a]*…: nested more than 64 levels deep/,
  },
  {
    name: "generation params nested 10,000 levels deep",
    event: image({ generationParams: { deep: nested(10_000) } }),
    code: "INVALID_EVENT",
    message: /data\.generationParams\.deep\.a\.a[.a]*…: nested more than 64 levels deep/,
  },
  {
    name: "metadata nested 10,000 levels deep",
    event: image({}, { metadata: { trace: nested(10_000) } }),
    code: "INVALID_EVENT",
    message: /metadata\.trace\.a\.a[.a]*…: nested more than 64 levels deep/,
  },
  {
    name: "an array nested 10,000 levels deep in a tag list",
    event: image({ tags: JSON.parse(`${"[".repeat(10_000)}${"]".repeat(10_000)}`) }),
    code: "INVALID_EVENT",
    message: /data\.tags\.0\.0[.0]*…: nested more than 64 levels deep/,
  },
  {
    name: "a __proto__ key in metadata",
    event: image({}, { metadata: withProto('{"producer":"p","__proto__":{"admin":true}}') }),
    code: "INVALID_EVENT",
    message: /metadata\.__proto__: a key named "__proto__" is refused/,
  },
  {
    name: "a __proto__ key in the envelope",
    event: withProto('{"type":"BatchStarted","data":{"batchId":"proto-batch"},"__proto__":{"admin":true}}'),
    code: "INVALID_EVENT",
    message: /BatchStarted: __proto__: a key named "__proto__" is refused/,
  },
  {
    name: "a __proto__ key inside generation params",
    event: image({ generationParams: withProto('{"steps":30,"__proto__":{"steps":1}}') }),
    code: "INVALID_EVENT",
    message: /data\.generationParams\.__proto__: a key named "__proto__" is refused/,
  },
  {
    name: "a __proto__ key in data",
    event: { type: "BatchStarted", data: withProto('{"batchId":"b","__proto__":{}}') },
    code: "INVALID_EVENT",
    message: /data\.__proto__: a key named "__proto__" is refused/,
  },
  {
    name: "an integer above 2^53 in generation params",
    event: image({ generationParams: { seed: 2 ** 64 } }),
    code: "INVALID_EVENT",
    message: /data\.generationParams\.seed: 18446744073709552000 is an integer beyond ±\(2\^53-1\)/,
  },
  {
    name: "an integer of exactly 2^53 in training metrics",
    event: { type: "TrainingCompleted", data: { runId: "run-1", metrics: { steps: [1, 2 ** 53] } } },
    code: "INVALID_EVENT",
    message: /data\.metrics\.steps\.1: 9007199254740992 is an integer beyond/,
  },
  {
    name: "an integer below -2^53 in metadata",
    event: image({}, { metadata: { offset: -(2 ** 60) } }),
    code: "INVALID_EVENT",
    message: /metadata\.offset: -1152921504606847000 is an integer beyond/,
  },
  {
    name: "a filename with a trailing space",
    event: image({ filename: "trim.png " }),
    code: "INVALID_EVENT",
    message: /data\.filename: starts or ends with whitespace \("trim\.png "\)/,
  },
  {
    name: "a run id with a leading tab",
    event: { type: "TrainingStarted", data: { runId: "\trun-9", name: "r9", modelPath: "m" } },
    code: "INVALID_EVENT",
    message: /data\.runId: starts or ends with whitespace/,
  },
  {
    name: "a batch id ending in a no-break space",
    event: { type: "BatchStarted", data: { batchId: "b9\u00a0" } },
    code: "INVALID_EVENT",
    message: /data\.batchId: starts or ends with whitespace/,
  },
  {
    name: "a filename in NFD (decomposed) form",
    event: image({ filename: "caf\u0065\u0301.png" }),
    code: "INVALID_EVENT",
    message: /data\.filename: not in Unicode normalization form NFC/,
  },
  {
    name: "an event id with a space",
    event: image({}, { id: "evt 1" }),
    code: "INVALID_EVENT",
    message: /id: expected printable ASCII without spaces/,
  },
  {
    name: "an event id with a NUL",
    event: image({}, { id: "evt\u00001" }),
    code: "INVALID_EVENT",
    message: /id: expected printable ASCII/,
  },
  {
    name: "an event id over 128 characters",
    event: image({}, { id: "x".repeat(129) }),
    code: "INVALID_EVENT",
    message: /id: .*<=128/,
  },
  {
    name: "metadata is a string",
    event: image({}, { metadata: "producer=me" }),
    code: "INVALID_EVENT",
    message: /metadata: .*expected object/,
  },
  { name: "type is a number", event: { type: 7, data: {} }, code: "INVALID_EVENT", message: /type: .*expected string/ },
  // Missing fields.
  {
    name: "ImageGenerated without prompt",
    event: { type: "ImageGenerated", data: { filename: "x.png", modelId: "m" } },
    code: "INVALID_EVENT",
    message: /data\.prompt: .*expected string, received undefined/,
  },
  {
    name: "ImageGenerated without modelId",
    event: { type: "ImageGenerated", data: { filename: "x.png", prompt: "p" } },
    code: "INVALID_EVENT",
    message: /data\.modelId/,
  },
  {
    name: "ImageCurated without status",
    event: { type: "ImageCurated", data: { filename: "base.png" } },
    code: "INVALID_EVENT",
    message: /data\.status/,
  },
  {
    name: "TrainingFailed without reason",
    event: { type: "TrainingFailed", data: { runId: "run-1" } },
    code: "INVALID_EVENT",
    message: /data\.reason/,
  },
  {
    name: "BatchFinished without imagesKept",
    event: { type: "BatchFinished", data: { batchId: "open-batch", imagesCreated: 1 } },
    code: "INVALID_EVENT",
    message: /data\.imagesKept/,
  },
  {
    name: "an event without type",
    event: { data: { batchId: "b" } },
    code: "INVALID_EVENT",
    message: /type: .*expected string, received undefined/,
  },
  {
    name: "an event without data",
    event: { type: "BatchStarted" },
    code: "INVALID_EVENT",
    message: /data: .*received undefined/,
  },
  {
    name: "a filename of blanks",
    event: image({ filename: "   " }),
    code: "INVALID_EVENT",
    message: /data\.filename: starts or ends with whitespace/,
  },
  {
    name: "a filename over 512 characters",
    event: image({ filename: "f".repeat(513) }),
    code: "INVALID_EVENT",
    message: /data\.filename: .*<=512/,
  },
  {
    name: "an unknown payload field",
    event: image({ width: 1024 }),
    code: "INVALID_EVENT",
    message: /Unrecognized key: "width"/,
  },
  {
    // Not streamId: a line that carries it is a stored event to emit (events | emit), checked as one.
    name: "an unknown envelope field",
    event: image({}, { stream: "image:new.png" }),
    code: "INVALID_EVENT",
    message: /Unrecognized key: "stream"/,
  },
  // Out-of-range scores and counts.
  {
    name: "finalScore above 10",
    event: curation({ finalScore: 10.5 }),
    code: "INVALID_EVENT",
    message: /data\.finalScore: Too big: expected number to be <=10/,
  },
  {
    name: "finalScore below 0",
    event: curation({ finalScore: -0.1 }),
    code: "INVALID_EVENT",
    message: /data\.finalScore: Too small: expected number to be >=0/,
  },
  {
    name: "finalScore infinite",
    event: curation({ finalScore: Number.POSITIVE_INFINITY }),
    code: "INVALID_EVENT",
    message: /data\.finalScore/,
  },
  {
    name: "aestheticScore above 10",
    event: curation({ aestheticScore: 11 }),
    code: "INVALID_EVENT",
    message: /data\.aestheticScore: Too big/,
  },
  {
    name: "clipScore above 1",
    event: curation({ clipScore: 1.01 }),
    code: "INVALID_EVENT",
    message: /data\.clipScore: Too big: expected number to be <=1/,
  },
  {
    name: "technicalScore below 0",
    event: curation({ technicalScore: -0.5 }),
    code: "INVALID_EVENT",
    message: /data\.technicalScore: Too small/,
  },
  {
    name: "a batch's avgScore above 10",
    event: { type: "BatchFinished", data: { batchId: "open-batch", imagesCreated: 2, imagesKept: 1, avgScore: 10.01 } },
    code: "INVALID_EVENT",
    message: /data\.avgScore: Too big/,
  },
  {
    name: "more images kept than created",
    event: { type: "BatchFinished", data: { batchId: "open-batch", imagesCreated: 1, imagesKept: 2 } },
    code: "INVALID_EVENT",
    message: /data\.imagesKept: imagesKept cannot exceed imagesCreated/,
  },
  {
    name: "a negative dataset size",
    event: { type: "TrainingStarted", data: { runId: "r9", name: "r9", modelPath: "m", datasetSize: -1 } },
    code: "INVALID_EVENT",
    message: /data\.datasetSize: Too small/,
  },
  {
    name: "a negative final loss",
    event: { type: "TrainingCompleted", data: { runId: "run-1", finalLoss: -0.01 } },
    code: "INVALID_EVENT",
    message: /data\.finalLoss: Too small/,
  },
  // Unknown statuses and event types.
  {
    name: "status 'approved'",
    event: curation({ status: "approved" }),
    code: "INVALID_EVENT",
    message: /data\.status: .*"pending"\|"curated"\|"rejected"/,
  },
  {
    name: "status in capitals",
    event: curation({ status: "CURATED" }),
    code: "INVALID_EVENT",
    message: /data\.status: Invalid option/,
  },
  {
    name: "status empty",
    event: curation({ status: "" }),
    code: "INVALID_EVENT",
    message: /data\.status: Invalid option/,
  },
  {
    name: "type ImageDeleted",
    event: { type: "ImageDeleted", data: { filename: "base.png" } },
    code: "UNKNOWN_EVENT_TYPE",
    message: /unknown event type "ImageDeleted" \(known: ImageGenerated, /,
  },
  {
    name: "type in the wrong case",
    event: { type: "imageGenerated", data: {} },
    code: "UNKNOWN_EVENT_TYPE",
    message: /unknown event type "imageGenerated"/,
  },
  {
    name: "type __proto__",
    event: { type: "__proto__", data: {} },
    code: "UNKNOWN_EVENT_TYPE",
    message: /unknown event type "__proto__"/,
  },
  {
    name: "type toString",
    event: { type: "toString", data: {} },
    code: "UNKNOWN_EVENT_TYPE",
    message: /unknown event type "toString"/,
  },
  { name: "type empty", event: { type: "", data: {} }, code: "INVALID_EVENT", message: /type: .*>=1/ },
  // Payloads over the limits (64 KiB data, 16 KiB metadata, as UTF-8 JSON).
  {
    name: "a prompt over 64 KiB",
    event: image({ prompt: "p".repeat(MAX_DATA_BYTES) }),
    code: "PAYLOAD_TOO_LARGE",
    message: /data is \d+ bytes, over the 65536-byte limit/,
  },
  {
    name: "a prompt under 64 Ki characters but over 64 KiB of UTF-8",
    event: image({ prompt: euros(MAX_DATA_BYTES) }),
    code: "PAYLOAD_TOO_LARGE",
    message: /data is \d+ bytes, over the 65536-byte limit/,
  },
  {
    name: "generation params over 64 KiB",
    event: image({ generationParams: { blob: "z".repeat(70_000) } }),
    code: "PAYLOAD_TOO_LARGE",
    message: /over the 65536-byte limit/,
  },
  {
    name: "metadata over 16 KiB",
    event: image({}, { metadata: { note: "n".repeat(MAX_METADATA_BYTES) } }),
    code: "PAYLOAD_TOO_LARGE",
    message: /metadata is \d+ bytes, over the 16384-byte limit/,
  },
  // Against the state of the log.
  {
    name: "a duplicate filename",
    event: image({ filename: "base.png" }),
    code: "STREAM_EXISTS",
    message: /ImageGenerated for image:base\.png, which already exists \(version 2\)/,
  },
  {
    name: "an existing filename with blanks around it",
    event: image({ filename: " base.png " }),
    code: "INVALID_EVENT",
    message: /data\.filename: starts or ends with whitespace \(" base\.png "\)/,
  },
  {
    name: "a duplicate training run",
    event: { type: "TrainingStarted", data: { runId: "run-1", name: "again", modelPath: "m" } },
    code: "STREAM_EXISTS",
    message: /training:run-1, which already exists \(version 1\)/,
  },
  {
    name: "curation of an unknown image",
    event: curation({ filename: "ghost.png" }),
    code: "STREAM_NOT_FOUND",
    message: /ImageCurated for image:ghost\.png, which was never started/,
  },
  {
    name: "a batch finished that never started",
    event: { type: "BatchFinished", data: { batchId: "ghost", imagesCreated: 0, imagesKept: 0 } },
    code: "STREAM_NOT_FOUND",
    message: /batch:ghost, which was never started/,
  },
  {
    name: "a stale expected version",
    event: curation({}, { expectedVersion: 1 }),
    code: "VERSION_CONFLICT",
    message: /version conflict on stream image:base\.png: expected version 1, actual version 2/,
  },
  {
    name: "expected version 0 on an existing stream",
    event: curation({}, { expectedVersion: 0 }),
    code: "VERSION_CONFLICT",
    message: /image:base\.png: expected version 0, actual version 2/,
  },
  {
    name: "an expected version from the future",
    event: curation({}, { expectedVersion: 9 }),
    code: "VERSION_CONFLICT",
    message: /expected version 9, actual version 2/,
  },
  {
    name: "a duplicate event id with other data",
    event: image({ filename: "base.png", prompt: "another prompt" }, { id: "evt-base" }),
    code: "IDEMPOTENCY_CONFLICT",
    message:
      /event id evt-base is already in the log at position 1 \(ImageGenerated on image:base\.png\) with other content/,
  },
  {
    name: "a duplicate event id on another stream",
    event: image({ filename: "other.png" }, { id: "evt-base" }),
    code: "IDEMPOTENCY_CONFLICT",
    message: /evt-base is already in the log at position 1/,
  },
  {
    name: "a duplicate event id with another type",
    event: curation({}, { id: "evt-base" }),
    code: "IDEMPOTENCY_CONFLICT",
    message: /evt-base is already in the log/,
  },
  {
    name: "an event after the batch finished",
    event: { type: "BatchFinished", data: { batchId: "closed-batch", imagesCreated: 0, imagesKept: 0 } },
    code: "STREAM_CLOSED",
    message: /batch:closed-batch, which already ended with BatchFinished \(version 2\)/,
  },
];

/** A store with an image at version 2 (its first event id evt-base), a running training run, an open and a closed batch. */
const seededStore = (): Store => {
  const store = openStore({ url: migratedDb(processTempDir()) });
  store.append([
    { type: "ImageGenerated", id: "evt-base", data: { filename: "base.png", prompt: "base", modelId: "sdxl-1.0" } },
    { type: "ImageCurated", data: { filename: "base.png", status: "curated", finalScore: 7 } },
    { type: "TrainingStarted", data: { runId: "run-1", name: "run-1", modelPath: "models/run-1.safetensors" } },
    { type: "BatchStarted", data: { batchId: "open-batch" } },
    { type: "BatchStarted", data: { batchId: "closed-batch" } },
    { type: "BatchFinished", data: { batchId: "closed-batch", imagesCreated: 0, imagesKept: 0 } },
  ]);
  return store;
};

/** The error says which event of the call was bad: in its message, or (a version conflict, which names its stream) in its details. */
const expectNamesEvent = (error: StoreError, index: number) => {
  if (error.code === "VERSION_CONFLICT") expect(error.details.index).toBe(index);
  else expect(error.message).toMatch(new RegExp(`^event ${index}\\b`));
};

describe("bad events through the library", () => {
  let store: Store;
  beforeAll(() => {
    store = seededStore();
  });
  afterAll(() => store.close());

  it.each(EVENT_CASES)("$name: $code, nothing written", ({ event, code, message }) => {
    const before = stateHash(store.path);
    const error = refusal(() => store.appendUnknown([event]));
    expect(error.code).toBe(code);
    expect(error.message).toMatch(message);
    expectNamesEvent(error, 0);
    expect(error.message).not.toContain("\n");
    expect(stateHash(store.path)).toBe(before);
    tried.eventCases++;
  });

  it.each(EVENT_CASES)(
    "$name, second in a batch: the whole batch refused, naming event 1",
    ({ event, code, message }) => {
      const before = stateHash(store.path);
      const error = refusal(() =>
        store.appendUnknown([{ type: "BatchStarted", data: { batchId: "would-be-written" } }, event]),
      );
      expect(error.code).toBe(code);
      expect(error.message).toMatch(message);
      expectNamesEvent(error, 1);
      expect(stateHash(store.path)).toBe(before);
      tried.eventCasesInBatches++;
    },
  );

  it.each([
    {
      name: "a string instead of a list",
      call: (s: Store) => s.appendUnknown(JSON.parse('"not a list"')),
      message: /expected a list of events, received string/,
    },
    {
      name: "an object instead of a list",
      call: (s: Store) => s.appendUnknown(JSON.parse('{"type":"BatchStarted"}')),
      message: /expected a list of events, received object/,
    },
    {
      name: "a score out of range through the typed emitter",
      call: (s: Store) => s.emit.imageCurated({ filename: "base.png", status: "curated", finalScore: 12 }),
      message: /data\.finalScore: Too big/,
    },
    {
      name: "a stale version through the typed emitter",
      call: (s: Store) => s.emit.imageCurated({ filename: "base.png", status: "rejected" }, { expectedVersion: 1 }),
      message: /expected version 1, actual version 2/,
    },
  ])("$name: refused, nothing written", ({ call, message }) => {
    const before = stateHash(store.path);
    expect(refusal(() => call(store)).message).toMatch(message);
    expect(stateHash(store.path)).toBe(before);
    tried.callCases++;
  });

  it("accepts a payload of exactly 64 KiB and refuses one byte more", () => {
    const base = Buffer.byteLength(
      JSON.stringify({
        filename: "limit.png",
        prompt: "",
        negativePrompt: "",
        modelId: "m",
        generationParams: {},
        tags: [],
      }),
    );
    const fits = {
      type: "ImageGenerated",
      data: { filename: "limit.png", prompt: "p".repeat(MAX_DATA_BYTES - base), modelId: "m" },
    };
    const over = {
      type: "ImageGenerated",
      data: { filename: "limit.png", prompt: "p".repeat(MAX_DATA_BYTES - base + 1), modelId: "m" },
    };
    const before = stateHash(store.path);
    expect(refusal(() => store.appendUnknown([over])).message).toMatch(
      /data is 65537 bytes, over the 65536-byte limit/,
    );
    expect(stateHash(store.path)).toBe(before);
    store.appendUnknown([fits]);
    const [stored] = store.readStream("image:limit.png");
    expect(Buffer.byteLength(JSON.stringify(stored?.data))).toBe(MAX_DATA_BYTES);
  });
});

interface DatabaseCase {
  name: string;
  /** Put the bad database at `path` (the folder exists). */
  make: (path: string, good: string) => void;
  code: StoreErrorCode;
  message: RegExp;
}

const truncatedCopy = (bytes: (size: number) => number) => (path: string, good: string) => {
  const content = readFileSync(good);
  writeFileSync(path, content.subarray(0, bytes(content.length)));
};

const DATABASE_CASES: DatabaseCase[] = [
  {
    name: "a text file",
    make: (p) => writeFileSync(p, "filename,prompt\nsunset.png,a sunset\n".repeat(200)),
    code: "NOT_A_DATABASE",
    message: /is not a SQLite database \(or is corrupt\): file is not a database/,
  },
  {
    name: "a file of zeros",
    make: (p) => writeFileSync(p, Buffer.alloc(16_384)),
    code: "NOT_A_DATABASE",
    message: /is not a SQLite database/,
  },
  {
    name: "a PNG image",
    make: (p) =>
      writeFileSync(p, Buffer.concat([Buffer.from("89504e470d0a1a0a0000000d49484452", "hex"), Buffer.alloc(4096, 7)])),
    code: "NOT_A_DATABASE",
    message: /is not a SQLite database/,
  },
  {
    name: "a database truncated to half",
    make: truncatedCopy((n) => Math.floor(n / 2)),
    code: "NOT_A_DATABASE",
    message: /is not a SQLite database \(or is corrupt\): database disk image is malformed/,
  },
  {
    name: "a database truncated inside its first page",
    make: truncatedCopy(() => 1000),
    code: "NOT_A_DATABASE",
    message: /is not a SQLite database \(or is corrupt\)/,
  },
  {
    name: "a database missing its last page",
    make: truncatedCopy((n) => n - 4096),
    code: "NOT_A_DATABASE",
    message: /is not a SQLite database \(or is corrupt\)/,
  },
  {
    name: "a directory",
    make: (p) => mkdirSync(p),
    code: "NOT_A_DATABASE",
    message: /cannot open database .*: unable to open database file/,
  },
  {
    name: "a file that does not exist",
    make: () => {},
    code: "SCHEMA_MISSING",
    message: /does not exist: run `npx artist-store migrate --db [^`]+`/,
  },
  {
    name: "an empty file",
    make: (p) => writeFileSync(p, ""),
    code: "SCHEMA_MISSING",
    message: /has no ai-artist-store schema: run `npx artist-store migrate --db [^`]+`/,
  },
  {
    name: "another application's SQLite database",
    make: (p) => {
      const db = openConnection(p, { create: true });
      db.exec("CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT); INSERT INTO notes (body) VALUES ('keep me');");
      db.close();
    },
    code: "SCHEMA_MISSING",
    message: /has no ai-artist-store schema/,
  },
  {
    name: "a database whose schema is newer than the code",
    make: (p, good) => {
      copyFileSync(good, p);
      const db = openConnection(p);
      db.prepare("INSERT INTO schema_migrations (version) VALUES ('29990101000000')").run();
      db.close();
    },
    code: "UNKNOWN_MIGRATIONS",
    message: /has migrations this code does not know \(29990101000000\): its schema is newer than this version/,
  },
  {
    name: "a database whose schema is older than the code",
    make: (p, good) => {
      copyFileSync(good, p);
      runDbmate(p, ["rollback"]);
    },
    code: "PENDING_MIGRATIONS",
    message: new RegExp(
      `has 1 pending migration\\(s\\) \\(${knownMigrations().at(-1)}\\): run \`npx artist-store migrate --db [^\`]+\``,
    ),
  },
];

/** Every file in a folder with a fingerprint: a canonical dump for SQLite files that open, the bytes otherwise. */
const folderState = (dir: string) =>
  Object.fromEntries(
    readdirSync(dir, { withFileTypes: true }).map((entry) => {
      const path = join(dir, entry.name);
      if (!entry.isFile()) return [entry.name, "directory"];
      try {
        return [entry.name, `dump:${stateHash(path)}`];
      } catch {
        return [entry.name, `bytes:${fileHash(path)}`];
      }
    }),
  );

let goodDb: string | undefined;
/** A real, populated store file (made once) for the truncated and copied cases. */
const good = (): string => {
  if (goodDb) return goodDb;
  const store = openStore({ url: migratedDb(processTempDir(), "good.db") });
  for (let i = 0; i < 200; i++)
    store.emit.imageGenerated({ filename: `g${i}.png`, prompt: "p".repeat(300), modelId: "m" });
  store.close();
  goodDb = store.path;
  return goodDb;
};

describe("bad database files", () => {
  it.each(DATABASE_CASES)("$name: $code, the file left as it was", ({ make, code, message }) => {
    const dir = tempDir();
    const path = join(dir, "ai_artist.db");
    make(path, good());
    const before = folderState(dir);
    const error = refusal(() => openStore({ url: `sqlite:${path}` }));
    expect(error.code).toBe(code);
    expect(error.message).toMatch(message);
    expect(error.message).toContain(path);
    expect(error.message).not.toContain("\n");
    expect(folderState(dir)).toEqual(before);
    tried.databaseCases++;
  });
});

/** Valid text that is hostile to naive code: stored and read back exactly, never refused. */
const HOSTILE_STRINGS: [string, string][] = [
  ["an SQL injection", "'); DROP TABLE events; --"],
  ["an SQL tautology and UNION", "x' OR '1'='1' UNION SELECT event_id, data FROM events --"],
  ["quotes of every kind", `"double" 'single' \`back\` “curly” ‘curly’ «guillemets»`],
  ["backslashes and JSON escapes", String.raw`\" \n \u0000 \\ \/`],
  ["a NUL inside", "before\u0000after"],
  ["control characters", "\u0001\u0007\b\f\v\u001b[31mred\u001b[0m\u007f"],
  ["newlines, returns and tabs", "line1\nline2\r\nline3\ttabbed\r"],
  ["line and paragraph separators", "a\u2028b\u2029c"],
  ["emoji with joiners and modifiers", "🎨🖌️👩‍🎨🏳️‍🌈👨‍👩‍👧‍👦👍🏽🇯🇵"],
  ["combining marks", "Z̤͔ͧ̑̓ä͖̭̈̇lͮ̒ͫǧ̗͚̚o̙̔ͮ̇͐̇"],
  ["a right-to-left override", "\u202Egnp.exe"],
  ["zero-width characters and a BOM", "a\u200Bb\u200Cc\u200Dd\uFEFFe"],
  ["astral-plane characters", "𝔘𝔫𝔦𝔠𝔬𝔡𝔢 𐍈 𠜎 🀄"],
  ["very long unicode (46 KB of UTF-8)", "日本語の長い文字列🎨".repeat(1500)],
  // biome-ignore lint/suspicious/noTemplateCurlyInString: a template placeholder kept as text is the hostile input here
  ["format strings and templates", "%s %n %x %%d ${process.exit(1)} {{7*7}} #{1+1}"],
  ["HTML and entities", "<script>alert('x')</script>&amp;&lt;"],
  ["JSON text", '{"type":"ImageGenerated","data":null,"__proto__":{"polluted":true}}'],
  ["words that mean nothing", "null"],
  ["LIKE and GLOB wildcards", "100% _under_ [a-z]* ?"],
  ["the replacement character and non-characters", "\uFFFD\uFFFE\uFFFF"],
];

describe("hostile but valid strings", () => {
  let store: Store;
  beforeAll(() => {
    store = openStore({ url: migratedDb(processTempDir(), "hostile.db") });
  });
  afterAll(() => store.close());

  it.each(HOSTILE_STRINGS.map(([name, text], i) => ({ name, text, i })))(
    "$name: stored and read back exactly",
    ({ text, i }) => {
      const short = Array.from(text).slice(0, 120).join("");
      const filename = `h${i}-${short}.png`;
      const data = {
        filename,
        prompt: text,
        negativePrompt: short,
        sourceUrl: `https://example.com/?q=${short}`,
        sourceQuery: short,
        modelId: short,
        generationParams: { [short]: short, nested: [short, { deeper: short }] },
        seed: i,
        tags: [short, "plain"],
      };
      const event = {
        type: "ImageGenerated" as const,
        id: `hostile-${i}`,
        data,
        metadata: { correlationId: short, note: short },
      };
      const [first] = store.append([
        event,
        { type: "BatchStarted", data: { batchId: `hb${i}-${short}-end`, theme: short } },
      ]);
      expect(first?.streamId).toBe(`image:${filename}`);

      const [stored] = store.readStream(`image:${filename}`);
      expect(stored?.data).toEqual(data);
      expect(stored?.metadata).toEqual({ correlationId: short, note: short });
      const row = store.db
        .prepare(
          `SELECT filename, prompt, negative_prompt AS negativePrompt, source_url AS sourceUrl, source_query AS sourceQuery, model_id AS modelId,
           generation_params AS generationParams, seed, tags FROM generated_images WHERE filename = ?`,
        )
        .get(filename);
      expect(row).toEqual({
        ...data,
        generationParams: JSON.stringify(data.generationParams),
        tags: JSON.stringify(data.tags),
      });
      expect(
        store.db.prepare("SELECT theme FROM creation_sessions WHERE batch_id = ?").pluck().get(`hb${i}-${short}-end`),
      ).toBe(short);
      expect(store.queries.uncuratedImages({ limit: 1000 }).map((r) => r.filename)).toContain(filename);
      // A retry of the same event is recognised as the same content, byte for byte.
      expect(store.append([event])[0]).toMatchObject({ duplicate: true, position: first?.position });
      tried.hostileStringsRoundTripped++;
    },
  );
});

/** A case whose event survives JSON.stringify unchanged, so the same input can be a line for `artist-store emit`. */
const asJsonLine = (event: unknown): string | undefined => {
  try {
    const line = JSON.stringify(event);
    return line !== undefined && isDeepStrictEqual(JSON.parse(line), event) ? line : undefined;
  } catch {
    return undefined;
  }
};
const CLI_EVENT_CASES = EVENT_CASES.flatMap((c) => {
  const line = asJsonLine(c.event);
  return line === undefined ? [] : [{ ...c, line }];
});
/** Lines that are not JSON at all: only a command line can be handed these. */
const MALFORMED_LINES = [
  { name: "truncated JSON", line: '{"type":"ImageGenerated","data":{"filename":"x.png"' },
  { name: "a trailing comma", line: '{"type":"BatchStarted","data":{"batchId":"b9"},}' },
  { name: "single quotes", line: "{'type':'BatchStarted','data':{'batchId':'b9'}}" },
  {
    name: "a NaN literal",
    line: '{"type":"ImageCurated","data":{"filename":"base.png","status":"curated","finalScore":NaN}}',
  },
  { name: "a bare word", line: "BatchStarted" },
  {
    name: "two objects on one line",
    line: '{"type":"BatchStarted","data":{"batchId":"b9"}}{"type":"BatchStarted","data":{"batchId":"b10"}}',
  },
];

describe("bad input through the command line (artist-store emit, --db)", () => {
  let path: string;
  beforeAll(() => {
    const store = seededStore();
    path = store.path;
    store.close();
  });

  it("rejects every bad line of one emit run, each with its line number and reason, and writes none", () => {
    const lines = [...CLI_EVENT_CASES.map((c) => c.line), ...MALFORMED_LINES.map((c) => c.line)];
    const before = stateHash(path);
    const run = cli(["emit", "--db", path, "--json"], { input: `${lines.join("\n")}\n` });
    expect(run.code).toBe(1);
    const report = EmitReport.parse(JSON.parse(run.stdout));
    expect(report).toMatchObject({ lines: lines.length, accepted: 0 });
    expect(report.rejected.map((r) => r.line)).toEqual(lines.map((_, i) => i + 1));
    const mismatched = CLI_EVENT_CASES.flatMap((c, i) => {
      const r = report.rejected[i];
      const ok =
        r?.line === i + 1 &&
        r.code === (c.cliCode ?? c.code) &&
        (c.cliMessage ?? c.message).test(r.message) &&
        new RegExp(`^line ${i + 1}\\b`).test(r.message);
      return ok ? [] : [{ case: c.name, got: r }];
    });
    expect(mismatched).toEqual([]);
    MALFORMED_LINES.forEach((c, j) => {
      const i = CLI_EVENT_CASES.length + j;
      expect(report.rejected[i], c.name).toMatchObject({ line: i + 1, code: "MALFORMED_JSON" });
      expect(report.rejected[i]?.message, c.name).toMatch(new RegExp(`^line ${i + 1}: not valid JSON`));
    });
    expect(stateHash(path)).toBe(before);
    tried.cliLines = lines.length;
  });

  it("writes the good lines between bad ones and names exactly the bad ones; --atomic writes none", () => {
    const good = (n: number) => JSON.stringify({ type: "BatchStarted", data: { batchId: `mixed-${n}` } });
    const bad = CLI_EVENT_CASES.slice(0, 5).map((c) => c.line);
    const lines = [good(1), bad[0], good(2), bad[1], bad[2], good(3), bad[3], bad[4], good(4)];
    const before = stateHash(path);
    const atomic = cli(["emit", "--db", path, "--json", "--atomic"], { input: `${lines.join("\n")}\n` });
    expect(atomic.code).toBe(1);
    expect(EmitReport.parse(JSON.parse(atomic.stdout)).accepted).toBe(0);
    expect(stateHash(path)).toBe(before);
    const mixed = cli(["emit", "--db", path, "--json"], { input: `${lines.join("\n")}\n` });
    expect(mixed.code).toBe(1);
    const report = EmitReport.parse(JSON.parse(mixed.stdout));
    expect(report.accepted).toBe(4);
    expect(report.rejected.map((r) => r.line)).toEqual([2, 4, 5, 7, 8]);
    const store = openStore({ url: path });
    expect(
      store.db
        .prepare("SELECT batch_id FROM creation_sessions WHERE batch_id LIKE 'mixed-%' ORDER BY id")
        .pluck()
        .all(),
    ).toEqual(["mixed-1", "mixed-2", "mixed-3", "mixed-4"]);
    store.close();
  });

  it.each(DATABASE_CASES)(
    "--db on $name: exit 1, one line on stderr naming it, the file left as it was",
    ({ make, message }) => {
      const dir = tempDir();
      const bad = join(dir, "ai_artist.db");
      make(bad, good());
      const before = folderState(dir);
      const run = cli(["emit", "--db", bad, "--json"], {
        input: `${JSON.stringify({ type: "BatchStarted", data: { batchId: "never" } })}\n`,
      });
      expect(run.code).toBe(1);
      expect(run.stderr).toMatch(message);
      expect(run.stderr).toContain(bad);
      expect(run.stderr.trim().split("\n")).toHaveLength(1);
      expect(folderState(dir)).toEqual(before);
      tried.cliDatabaseCases++;
    },
  );

  it.each([
    { name: "an unknown option", args: ["emit", "--no-such-flag"] },
    { name: "a batch size that is not a number", args: ["emit", "--batch-size", "lots"] },
    { name: "an unknown command", args: ["emitt"] },
  ])("$name is a usage error: exit 2, nothing written", ({ args }) => {
    const before = stateHash(path);
    const run = cli([...args, "--db", path], {
      input: `${JSON.stringify({ type: "BatchStarted", data: { batchId: "never" } })}\n`,
    });
    expect(run.code).toBe(2);
    expect(run.stderr).not.toBe("");
    expect(stateHash(path)).toBe(before);
    tried.cliUsageErrors++;
  });
});
