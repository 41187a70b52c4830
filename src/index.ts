// The pipeline's API: open the store, emit and append events, read the log, run the queries, follow the log as a
// named consumer, catch its errors.
// Operators' tooling (rebuild, audit, time travel, backup, doctor, JSON-lines ingest) is `ai-artist-store/operations`;
// test helpers are `ai-artist-store/testing`; the CLI's internals are not exported.
export type { ConsumerStart } from "./consumers/checkpoints.js";
export type { ConsumerOptions } from "./consumers/options.js";
export type { EventOf } from "./consumers/readBatch.js";
export {
  type BatchContext,
  type ConsumerRunResult,
  type RunConsumerOptions,
  runConsumer,
  type TransactionContext,
} from "./consumers/runConsumer.js";
export { type WaitForPositionOptions, waitForPosition } from "./consumers/waitForPosition.js";
export { StoreError, type StoreErrorCode, VersionConflictError } from "./db/errors.js";
export { DEFAULT_DATABASE_URL } from "./db/paths.js";
export type { AppendedEvent, NewEvent, StoredEvent } from "./events/envelope.js";
export { MAX_DATA_BYTES, MAX_METADATA_BYTES } from "./events/prepareEvent.js";
export {
  EVENT_TYPES,
  type EventData,
  type EventInput,
  type EventType,
  eventTypes,
  type Metadata,
} from "./events/schemas.js";
export type {
  AsyncEmitters,
  AsyncQueries,
  AsyncStore,
  OpenAsyncStoreOptions,
} from "./postgres/asyncStore.js";
export { openAsyncStore } from "./postgres/openAsyncStore.js";
export type { ProjectionStatus } from "./projections/projectionState.js";
export {
  type DailyCreationRow,
  type ImageRow,
  type PendingImageRow,
  QUERY_NAMES,
  type QualityTierRow,
  type Queries,
  type TrainingStatsRow,
} from "./queries/index.js";
export {
  type EmitOptions,
  type Emitters,
  type OpenStoreOptions,
  openStore,
  type Store,
  type StoreTransaction,
} from "./store/openStore.js";
