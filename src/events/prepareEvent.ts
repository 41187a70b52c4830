import { uuidv7 } from "uuidv7";
import { z } from "zod";
import { eventError, StoreError } from "../db/errors.js";
import { messageOf } from "../db/sqliteErrors.js";
import { identifierProblem, inputProblem } from "./inputRules.js";
import {
  type EventData,
  type EventType,
  eventTypes,
  isEventType,
  isoTime,
  Metadata,
  payloadParsers,
} from "./schemas.js";

/**
 * Largest accepted payload (`data` as JSON, UTF-8): 64 KiB.
 * @example Buffer.byteLength(JSON.stringify(data)) <= MAX_DATA_BYTES // else PAYLOAD_TOO_LARGE
 */
export const MAX_DATA_BYTES = 64 * 1024;
/**
 * Largest accepted metadata (as JSON, UTF-8): 16 KiB.
 * @example Buffer.byteLength(JSON.stringify(metadata)) <= MAX_METADATA_BYTES // else PAYLOAD_TOO_LARGE
 */
export const MAX_METADATA_BYTES = 16 * 1024;

/** The envelope around a payload (compiled like the payloads: see payloadSchemas). */
const Envelope = z.compile(
  z.strictObject({
    type: z.string().min(1),
    data: z.unknown(),
    id: z
      .string()
      .min(1)
      .max(128)
      .regex(/^[\x21-\x7e]+$/, "expected printable ASCII without spaces")
      .optional(),
    expectedVersion: z.number().int().min(0).optional(),
    occurredAt: isoTime.optional(),
    metadata: Metadata.optional(),
  }),
);

/** An event checked and serialised, ready for the write transaction. */
export type PreparedEvent<T extends EventType = EventType> = { [K in T]: PreparedEventOf<K> }[T];
export interface PreparedEventOf<T extends EventType> {
  type: T;
  data: EventData[T];
  dataJson: string;
  metadata: Metadata;
  metadataJson: string;
  eventId: string;
  /** The caller chose the id: it may be a retry, so the log must be asked. */
  idGiven: boolean;
  streamId: string;
  schemaVersion: number;
  expectedVersion: number | undefined;
  occurredAt: string;
}

/**
 * An unpaired UTF-16 surrogate (the `u` flag makes a valid pair one code point, so
 * only lone halves match). SQLite stores text as UTF-8 and would write U+FFFD in
 * its place: the tables would disagree with the log, and two keys could collide.
 */
const LONE_SURROGATE = /[\uD800-\uDFFF]/u;

/** How JSON.stringify writes a lone surrogate (or, rarely, a text that merely reads so: the walk decides). */
const SURROGATE_ESCAPE = /\\ud[89a-f][0-9a-f]{2}/;

/** The path of the first string (or object key) in `value` that is not well-formed Unicode. */
const findLoneSurrogate = (value: unknown, path: string): string | undefined => {
  if (typeof value === "string") return LONE_SURROGATE.test(value) ? path : undefined;
  if (value === null || typeof value !== "object") return undefined;
  for (const [key, item] of Object.entries(value)) {
    const found = LONE_SURROGATE.test(key) ? `${path}.${key}` : findLoneSurrogate(item, `${path}.${key}`);
    if (found) return found;
  }
  return undefined;
};

/** JSON text of a parsed payload; a value JSON cannot hold (a cycle) is bad input, not a crash. */
const toJson = (value: unknown, field: string, index: number, type: EventType): string => {
  try {
    return JSON.stringify(value);
  } catch (cause) {
    const reason = messageOf(cause).replace(/\s*\n\s*/g, " ");
    throw eventError("INVALID_EVENT", { index, type }, `${field} is not JSON: ${reason}`, { field }, { cause });
  }
};

/** Refuse a payload (or metadata) whose JSON is over its limit, in UTF-8 bytes. */
const checkSize = (json: string, field: string, limit: number, index: number, type: EventType): void => {
  // A UTF-16 code unit is at most 3 bytes of UTF-8: most payloads need no count.
  if (json.length * 3 <= limit) return;
  const bytes = Buffer.byteLength(json);
  if (bytes > limit)
    throw eventError("PAYLOAD_TOO_LARGE", { index, type }, `${field} is ${bytes} bytes, over the ${limit}-byte limit`, {
      bytes,
    });
};

const describeIssues = (error: z.ZodError, prefix: string): string =>
  error.issues
    .map((i) => {
      const path = [prefix, ...i.path.map(String)].filter(Boolean).join(".");
      // An issue with the event as a whole (null, a string) has no path to name.
      return path === "" ? i.message : `${path}: ${i.message}`;
    })
    .join("; ");

const parsePayload = <T extends EventType>(type: T, data: unknown, index: number): EventData[T] => {
  const result = payloadParsers[type].safeParse(data);
  if (!result.success)
    throw eventError("INVALID_EVENT", { index, type }, describeIssues(result.error, "data"), {
      type,
      issues: result.error.issues.map((i) => ({ path: ["data", ...i.path.map(String)].join("."), message: i.message })),
    });
  return result.data;
};

/** The identifier an event's stream is keyed by, and its field: the stream is derived from the payload, never given separately. */
const identifierOf = (data: EventData[EventType]): { field: string; id: string; prefix: string } =>
  "filename" in data
    ? { field: "filename", id: data.filename, prefix: "image:" }
    : "runId" in data
      ? { field: "runId", id: data.runId, prefix: "training:" }
      : { field: "batchId", id: data.batchId, prefix: "batch:" };

/**
 * The stream an event's payload belongs to.
 * @example streamIdOf({ batchId: "b1" }) // "batch:b1"
 */
export const streamIdOf = (data: EventData[EventType]): string => {
  const { prefix, id } = identifierOf(data);
  return prefix + id;
};

/** The event type an input names, if it names a known one (for messages about an input that failed before its type was parsed). */
const typeNamed = (input: unknown): EventType | undefined => {
  try {
    const type: unknown = typeof input === "object" && input !== null ? Reflect.get(input, "type") : undefined;
    return typeof type === "string" && isEventType(type) ? type : undefined;
  } catch {
    return undefined; // a getter that throws: the error is about the input anyway
  }
};

/**
 * Validate one event to append (from code or from a JSON line) and serialise it;
 * `producer` goes into metadata.producer unless the event names one.
 * Throws a StoreError naming the event's index and the field path.
 * @example prepareEvent({ type: "BatchStarted", data: { batchId: "b1" } }, 0, () => new Date())
 */
export const prepareEvent = (input: unknown, index: number, clock: () => Date, producer?: string): PreparedEvent => {
  try {
    return prepareChecked(input, index, clock, producer);
  } catch (e) {
    if (e instanceof StoreError) throw e;
    // No input may reach a caller as a RangeError or TypeError: what the checks missed is still bad input.
    const reason = `could not be validated: ${messageOf(e).replace(/\s*\n\s*/g, " ")}`;
    throw eventError("INVALID_EVENT", { index, type: typeNamed(input) }, reason, {}, { cause: e });
  }
};

const prepareChecked = (input: unknown, index: number, clock: () => Date, producer?: string): PreparedEvent => {
  // Before any schema: a schema copies objects (dropping a __proto__ key) and recurses without a bound.
  const problem = inputProblem(input);
  if (problem)
    throw eventError("INVALID_EVENT", { index, type: typeNamed(input) }, problem.message, { path: problem.path });
  const envelope = Envelope.safeParse(input);
  if (!envelope.success) throw eventError("INVALID_EVENT", { index }, describeIssues(envelope.error, ""));
  const { type } = envelope.data;
  if (!isEventType(type))
    throw eventError(
      "UNKNOWN_EVENT_TYPE",
      { index },
      `unknown event type "${type}" (known: ${Object.keys(eventTypes).join(", ")})`,
      { type },
    );
  return prepareOfType(type, envelope.data, index, clock, producer);
};

/** The rest of an event of a known type: its payload parsed by that type's schema, so type and data agree. */
const prepareOfType = <T extends EventType>(
  type: T,
  envelope: z.output<typeof Envelope>,
  index: number,
  clock: () => Date,
  producer: string | undefined,
): PreparedEvent<T> => {
  const { data: rawData, id, expectedVersion, occurredAt, metadata: given = {} } = envelope;
  const metadata = producer && !given.producer ? { ...given, producer } : given;
  const data = parsePayload(type, rawData, index);
  const { field, id: key, prefix } = identifierOf(data);
  const badKey = identifierProblem(key);
  if (badKey) throw eventError("INVALID_EVENT", { index, type }, `data.${field}: ${badKey}`, { path: `data.${field}` });
  const dataJson = toJson(data, "data", index, type);
  const metadataJson = toJson(metadata, "metadata", index, type);
  // JSON.stringify writes a lone surrogate as a \udXXX escape: only text with one needs the walk that names the path.
  // After toJson: a value that serialised has no cycle, so the walk ends.
  const malformed =
    (SURROGATE_ESCAPE.test(dataJson) ? findLoneSurrogate(data, "data") : undefined) ??
    (SURROGATE_ESCAPE.test(metadataJson) ? findLoneSurrogate(metadata, "metadata") : undefined);
  if (malformed)
    throw eventError(
      "INVALID_EVENT",
      { index, type },
      `${malformed}: contains an unpaired UTF-16 surrogate (not valid Unicode text)`,
      { type, path: malformed },
    );
  checkSize(dataJson, "data", MAX_DATA_BYTES, index, type);
  checkSize(metadataJson, "metadata", MAX_METADATA_BYTES, index, type);
  return {
    type,
    data,
    dataJson,
    metadata,
    metadataJson,
    eventId: id ?? uuidv7(),
    idGiven: id !== undefined,
    streamId: prefix + key,
    schemaVersion: eventTypes[type].version,
    expectedVersion,
    occurredAt: occurredAt ?? clock().toISOString(),
  };
};
