/**
 * What went wrong, as a stable machine-readable code.
 * @example if (e instanceof StoreError && e.code === "STREAM_NOT_FOUND") console.warn(e.details);
 */
export type StoreErrorCode =
  | "INVALID_EVENT"
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
  | "SCHEMA_MISSING"
  | "PENDING_MIGRATIONS"
  | "UNKNOWN_MIGRATIONS"
  | "MIGRATION_FAILED"
  | "CORRUPT_LOG"
  | "PROJECTION_INVARIANT"
  | "STALE_PROJECTIONS"
  | "UNKNOWN_PROJECTION"
  | "INVALID_ARGUMENT"
  | "STORE_BUSY"
  | "CORRUPT_DATABASE"
  | "DATABASE_IN_USE"
  | "BACKUP_FAILED";

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
