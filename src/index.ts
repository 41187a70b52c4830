export { openStore, type Store, type OpenStoreOptions, type EmitOptions, type Emitters } from "./store.js";
export { StoreError, VersionConflictError, type StoreErrorCode } from "./errors.js";
export type { StoredEvent, NewEvent, AppendedEvent } from "./events/envelope.js";
export { eventTypes, EVENT_TYPES, type EventType, type EventData, type EventInput, type Metadata } from "./events/schemas.js";
export { MAX_DATA_BYTES, MAX_METADATA_BYTES } from "./events/prepareEvent.js";
export { QUERY_NAMES, type Queries, type ImageRow, type PendingImageRow, type QualityTierRow, type TrainingStatsRow, type DailyCreationRow } from "./queries/index.js";
export { DEFAULT_DATABASE_URL, databasePath } from "./db/paths.js";
export { CONNECTION_PRAGMAS } from "./db/connection.js";
