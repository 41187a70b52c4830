import { type EventType, eventTypes, isEventType } from "../events/schemas.js";
import { upcast } from "../events/upcast.js";

/**
 * The stored-event shape `events --nl` prints (position, eventId, streamId, streamVersion,
 * schemaVersion, recordedAt, ...), read back as the envelope an append takes, so that a log can
 * be exported and imported. The keys below are the store's, not an emitter's: any one of them
 * makes a line a stored event.
 */
const STORED_KEYS = ["eventId", "streamId", "schemaVersion", "position", "recordedAt", "hash"] as const;

/** The key of each type's stream, and the stream's prefix (the stream is derived from the payload). */
const STREAM_OF: { [T in EventType]: readonly [field: string, prefix: string] } = {
  ImageGenerated: ["filename", "image:"],
  ImageCurated: ["filename", "image:"],
  TrainingStarted: ["runId", "training:"],
  TrainingCompleted: ["runId", "training:"],
  TrainingFailed: ["runId", "training:"],
  BatchStarted: ["batchId", "batch:"],
  BatchFinished: ["batchId", "batch:"],
};

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);
const isVersion = (v: unknown): v is number => typeof v === "number" && Number.isSafeInteger(v) && v >= 1;

/** A line with one of the store's own keys is a stored event. */
export const isStoredShape = (json: Record<string, unknown>): boolean =>
  STORED_KEYS.some((k) => Object.hasOwn(json, k));

/**
 * A stored event as the envelope an append takes, or why it cannot be one. eventId becomes the id
 * (a re-import is a duplicate), streamVersion the expected version (streamVersion - 1), an older
 * schemaVersion is upcast as reading it from the log would; streamId must be the stream the data
 * names. position, recordedAt and hash belong to the store that wrote the event, and are ignored.
 * The payload itself is left to the append to validate.
 * @example storedToEnvelope({ eventId: "e1", streamId: "batch:b1", streamVersion: 1, schemaVersion: 1, type: "BatchStarted", data: { batchId: "b1" } })
 */
export const storedToEnvelope = (
  json: Record<string, unknown>,
): { ok: true; envelope: Record<string, unknown> } | { ok: false; reason: string } => {
  // A rest copy keeps every other own key as it is, __proto__ included, for the append to judge.
  const {
    position: _position,
    recordedAt: _recordedAt,
    hash: _hash,
    eventId,
    streamId,
    streamVersion,
    schemaVersion,
    ...rest
  } = json;
  const fail = (reason: string) => ({ ok: false as const, reason });
  for (const key of ["id", "expectedVersion"] as const)
    if (Object.hasOwn(rest, key))
      return fail(
        `${key}: a stored event (it has ${STORED_KEYS.filter((k) => Object.hasOwn(json, k)).join(", ")}) gives ${key === "id" ? "eventId" : "streamVersion"} instead`,
      );
  if (typeof eventId !== "string") return fail("eventId: expected a string (the event's id in the store it came from)");
  if (typeof streamId !== "string") return fail("streamId: expected a string such as image:<filename>");
  if (!isVersion(streamVersion))
    return fail("streamVersion: expected an integer >= 1 (the version the event has in its stream)");
  if (!isVersion(schemaVersion)) return fail("schemaVersion: expected an integer >= 1");
  const { type, data } = rest;
  const envelope: Record<string, unknown> = { ...rest, id: eventId, expectedVersion: streamVersion - 1 };
  // An unknown type or a malformed payload is the append's to report, with its usual message.
  if (typeof type !== "string" || !isEventType(type) || !isObject(data)) return { ok: true, envelope };
  const newest = eventTypes[type].version;
  if (schemaVersion > newest)
    return fail(`schemaVersion ${schemaVersion} of ${type} is newer than this store knows (${newest})`);
  const [field, prefix] = STREAM_OF[type];
  const key = data[field];
  if (typeof key === "string" && streamId !== prefix + key)
    return fail(
      `streamId ${JSON.stringify(streamId)} is not the stream its data names (${JSON.stringify(prefix + key)})`,
    );
  if (schemaVersion < newest) envelope.data = upcast(type, schemaVersion, data);
  return { ok: true, envelope };
};
