import type { EventData, EventInput, EventType, Metadata } from "./schemas.js";

/**
 * An event as the log holds it, its payload upcast to the newest schema version.
 * @example for (const e of store.readStream("image:a.png")) if (e.type === "ImageCurated") console.log(e.data.status);
 */
export type StoredEvent<T extends EventType = EventType> = {
  [K in T]: {
    position: number;
    eventId: string;
    streamId: string;
    streamVersion: number;
    type: K;
    /** The schema version the event was written with (data is always the newest shape). */
    schemaVersion: number;
    data: EventData[K];
    metadata: Metadata;
    occurredAt: string;
    recordedAt: string;
  };
}[T];

/**
 * An event to append: its type and payload, and optionally its envelope.
 * @example store.append([{ type: "ImageCurated", data: { filename: "a.png", status: "curated" }, expectedVersion: 1 }])
 */
export type NewEvent<T extends EventType = EventType> = {
  [K in T]: {
    type: K;
    data: EventInput[K];
    /** Idempotency key. A retry with the same id and content is a no-op. Default: a fresh UUIDv7. */
    id?: string;
    /** The stream version the caller last saw (0: the stream must not exist yet). */
    expectedVersion?: number;
    /** When it happened (ISO-8601 with a zone). Default: the store's clock. */
    occurredAt?: string;
    metadata?: Metadata;
  };
}[T];

/**
 * What one event of an append became.
 * @example const { position, streamVersion, duplicate } = store.emit.batchStarted({ batchId: "b1" });
 */
export interface AppendedEvent {
  position: number;
  eventId: string;
  streamId: string;
  streamVersion: number;
  type: EventType;
  /** True when this was a retry of an event already in the log. */
  duplicate: boolean;
}
