import { uuidv7 } from "uuidv7";
import { z } from "zod";
import { StoreError } from "../errors.js";
import { eventTypes, isEventType, isoTime, Metadata, type EventData, type EventType } from "./schemas.js";

/** Largest accepted payload (`data` as JSON, UTF-8): 64 KiB. Metadata gets 16 KiB. */
export const MAX_DATA_BYTES = 64 * 1024;
export const MAX_METADATA_BYTES = 16 * 1024;

const Envelope = z.strictObject({
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
});

/** An event checked and serialised, ready for the write transaction. */
export type PreparedEvent = { [T in EventType]: PreparedEventOf<T> }[EventType];
interface PreparedEventOf<T extends EventType> {
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

const describeIssues = (error: z.ZodError, prefix: string): string =>
  error.issues.map((i) => `${[prefix, ...i.path.map(String)].filter(Boolean).join(".")}: ${i.message}`).join("; ");

const parsePayload = <T extends EventType>(type: T, data: unknown, where: string): EventData[T] => {
  const result = eventTypes[type].schema.safeParse(data);
  if (!result.success)
    throw new StoreError("INVALID_EVENT", `${where} ${type}: ${describeIssues(result.error, "data")}`, {
      type,
      issues: result.error.issues.map((i) => ({ path: ["data", ...i.path.map(String)].join("."), message: i.message })),
    });
  // The schema table is keyed by type, so its output is EventData[T]; TypeScript cannot see through the index.
  return result.data as EventData[T];
};

/** The stream an event belongs to, derived from its payload (never given separately). */
export const streamIdOf = (data: EventData[EventType]): string =>
  "filename" in data ? `image:${data.filename}` : "runId" in data ? `training:${data.runId}` : `batch:${data.batchId}`;

/**
 * Validate one event to append (from code or from a JSON line) and serialise it.
 * Throws a StoreError naming the event's index and the field path.
 * @example prepareEvent({ type: "BatchStarted", data: { batchId: "b1" } }, 0, () => new Date())
 */
export const prepareEvent = (input: unknown, index: number, clock: () => Date): PreparedEvent => {
  const where = `event ${index}`;
  const envelope = Envelope.safeParse(input);
  if (!envelope.success) throw new StoreError("INVALID_EVENT", `${where}: ${describeIssues(envelope.error, "")}`, { index });
  const { type, data: rawData, id, expectedVersion, occurredAt, metadata = {} } = envelope.data;
  if (!isEventType(type))
    throw new StoreError("UNKNOWN_EVENT_TYPE", `${where}: unknown event type "${type}" (known: ${Object.keys(eventTypes).join(", ")})`, { index, type });
  const data = parsePayload(type, rawData, where);
  const dataJson = JSON.stringify(data);
  const dataBytes = Buffer.byteLength(dataJson);
  if (dataBytes > MAX_DATA_BYTES)
    throw new StoreError("PAYLOAD_TOO_LARGE", `${where} ${type}: data is ${dataBytes} bytes, over the ${MAX_DATA_BYTES}-byte limit`, { index, bytes: dataBytes });
  const metadataJson = JSON.stringify(metadata);
  const metadataBytes = Buffer.byteLength(metadataJson);
  if (metadataBytes > MAX_METADATA_BYTES)
    throw new StoreError("PAYLOAD_TOO_LARGE", `${where} ${type}: metadata is ${metadataBytes} bytes, over the ${MAX_METADATA_BYTES}-byte limit`, { index, bytes: metadataBytes });
  const prepared: PreparedEventOf<EventType> = {
    type,
    data,
    dataJson,
    metadata,
    metadataJson,
    eventId: id ?? uuidv7(),
    idGiven: id !== undefined,
    streamId: streamIdOf(data),
    schemaVersion: eventTypes[type].version,
    expectedVersion,
    occurredAt: occurredAt ?? clock().toISOString(),
  };
  // data was parsed by the schema of this very type, so type and data agree.
  return prepared as PreparedEvent;
};
