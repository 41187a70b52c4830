/**
 * What went wrong, as a stable machine-readable code.
 * @example if (e instanceof StoreError && e.code === "STREAM_NOT_FOUND") console.warn(e.details);
 */
export type StoreErrorCode =
  | "INVALID_EVENT"
  /** A failure the store has no code of its own for; details.errorCode carries SQLite's or Node's. */
  | "INTERNAL"
  | "UNKNOWN_EVENT_TYPE"
  | "PAYLOAD_TOO_LARGE"
  | "VERSION_CONFLICT"
  | "STREAM_NOT_FOUND"
  | "STREAM_EXISTS"
  | "STREAM_CLOSED"
  | "IDEMPOTENCY_CONFLICT"
  | "NOT_A_DATABASE"
  | "DISK_FULL"
  | "DISK_IO_ERROR"
  | "READ_ONLY"
  | "SCHEMA_MISSING"
  | "PENDING_MIGRATIONS"
  | "UNKNOWN_MIGRATIONS"
  | "MIGRATION_FAILED"
  | "CORRUPT_LOG"
  | "LOG_UNGUARDED"
  | "PROJECTION_INVARIANT"
  | "STALE_PROJECTIONS"
  | "UNKNOWN_PROJECTION"
  | "INVALID_ARGUMENT"
  | "STORE_BUSY"
  | "CORRUPT_DATABASE"
  | "DATABASE_IN_USE"
  | "BACKUP_FAILED"
  /** recover found no backup that verifies to start from. */
  | "NO_BACKUP"
  | "CONSUMER_NOT_FOUND"
  | "CONSUMER_LEASED"
  | "LEASE_LOST"
  | "INVALID_ACK";

/**
 * The one error class of the store. `code` says what kind of failure it is;
 * `details` carries the offending values (stream, versions, field path, index).
 * @example try { store.append(events) } catch (e) { if (e instanceof StoreError && e.code === "VERSION_CONFLICT") retry(); }
 */
export class StoreError extends Error {
  override name = "StoreError";
  constructor(
    readonly code: StoreErrorCode,
    message: string,
    readonly details: Readonly<Record<string, unknown>> = {},
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/**
 * An optimistic-concurrency failure: the stream moved since the caller read it.
 * @example if (e instanceof VersionConflictError) console.log(e.streamId, e.expectedVersion, e.actualVersion);
 */
export class VersionConflictError extends StoreError {
  override name = "VersionConflictError";
  constructor(
    readonly streamId: string,
    readonly expectedVersion: number,
    readonly actualVersion: number,
    index: number,
  ) {
    super(
      "VERSION_CONFLICT",
      `version conflict on stream ${streamId}: expected version ${expectedVersion}, actual version ${actualVersion}`,
      { streamId, expectedVersion, actualVersion, index },
    );
  }
}

/**
 * A StoreError about one event of an append. Its message names the event by its
 * index in the call, with its type once that is known (`event 2 ImageCurated: …`);
 * `details` keeps the parts (`index`, `eventType`, `reason`) so that a caller who
 * knows the event by another name (a line of input) can say it its own way.
 * @example throw eventError("STREAM_NOT_FOUND", { index: 0 }, "ImageCurated for image:a.png, which was never started");
 */
export const eventError = (
  code: StoreErrorCode,
  event: { index: number; type?: string },
  reason: string,
  details: Readonly<Record<string, unknown>> = {},
  options?: { cause?: unknown },
): StoreError => {
  const { index, type } = event;
  return type === undefined
    ? new StoreError(code, `event ${index}: ${reason}`, { index, ...details, reason }, options)
    : new StoreError(
        code,
        `event ${index} ${type}: ${reason}`,
        { index, ...details, eventType: type, reason },
        options,
      );
};

/**
 * An error's message with its event named `label` instead of by its index in the
 * append (`line 3 ImageCurated: …` for `event 0 ImageCurated: …`); an error about
 * no single event (a version conflict names its stream) gets the label in front.
 * @example messageNamingEvent(e, "line 3") // "line 3: ImageCurated for image:a.png, which was never started"
 */
export const messageNamingEvent = (e: StoreError, label: string): string => {
  const { index, eventType, reason } = e.details;
  if (typeof index !== "number" || typeof reason !== "string") return `${label}: ${e.message}`;
  return typeof eventType === "string" ? `${label} ${eventType}: ${reason}` : `${label}: ${reason}`;
};
