export { runCli } from "./cli/main.js";
export {
  createProgress,
  describeRebuild,
  formatRate,
  type ProgressOptions,
  type ProgressReporter,
} from "./cli/progress.js";
export { CONNECTION_PRAGMAS } from "./db/connection.js";
export { StoreError, type StoreErrorCode, VersionConflictError } from "./db/errors.js";
export { DEFAULT_DATABASE_URL, databasePath } from "./db/paths.js";
export type { AppendedEvent, NewEvent, StoredEvent } from "./events/envelope.js";
export { MAX_DATA_BYTES, MAX_METADATA_BYTES } from "./events/prepareEvent.js";
export { type EventFilter, queryEvents } from "./events/queryEvents.js";
export {
  EVENT_TYPES,
  type EventData,
  type EventInput,
  type EventType,
  eventTypes,
  type Metadata,
} from "./events/schemas.js";
export { upcast } from "./events/upcast.js";
export {
  checkLine,
  type EmitLinesOptions,
  type EmitReport,
  emitLines,
  followLines,
  type LineResult,
  type Rejection,
} from "./ingest/emitLines.js";
export {
  type BackupOptions,
  type BackupProgress,
  type BackupResult,
  backupDatabase,
  defaultBackupDir,
  listBackups,
} from "./maintenance/backup.js";
export { type DoctorReport, diagnose } from "./maintenance/doctor.js";
export { type RestoreResult, restoreDatabase } from "./maintenance/restore.js";
export { DOCUMENT_RETENTION, planRetention, type RetentionPolicy } from "./maintenance/retention.js";
export {
  createProjector,
  PROJECTION_NAMES,
  PROJECTIONS,
  type Projection,
  type ProjectionName,
} from "./projections/index.js";
export { type ProjectionStatus, projectionFingerprint, rebuildHint } from "./projections/projectionState.js";
export { runQueryByName } from "./queries/byName.js";
export {
  type DailyCreationRow,
  type ImageRow,
  type PendingImageRow,
  QUERY_NAMES,
  type QualityTierRow,
  type Queries,
  type TrainingStatsRow,
} from "./queries/index.js";
export { type AuditOptions, type AuditReport, auditProjections, formatAuditReport } from "./replay/auditProjections.js";
export type { DifferingRow, TableDrift } from "./replay/compareTables.js";
export { type AsOfOptions, openStoreAsOf, type StoreAsOf } from "./replay/openStoreAsOf.js";
export { type RebuildOptions, type RebuildResult, rebuildProjections } from "./replay/rebuildProjections.js";
export type { OnProgress, Progress } from "./replay/replay.js";
export { parseProjectionNames, projectionDigests, tableDigest } from "./replay/tables.js";
export { type EmitOptions, type Emitters, type OpenStoreOptions, openStore, type Store } from "./store/openStore.js";
