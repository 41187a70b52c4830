// Operators' API (`ai-artist-store/operations`): rebuild, audit and time travel; backup, restore, retention and
// doctor; the JSON-lines ingest of `artist-store emit`; filtered log reads and table digests.
export { databasePath } from "./db/paths.js";
export { type EventFilter, queryEvents } from "./events/queryEvents.js";
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
export { PROJECTION_NAMES, type ProjectionName } from "./projections/index.js";
export { projectionFingerprint } from "./projections/projectionState.js";
export { iterateQueryByName, queryColumns, runQueryByName } from "./queries/byName.js";
export { type AuditOptions, type AuditReport, auditProjections, formatAuditReport } from "./replay/auditProjections.js";
export type { DifferingRow, TableDrift } from "./replay/compareTables.js";
export { type AsOfOptions, openStoreAsOf, type StoreAsOf } from "./replay/openStoreAsOf.js";
export { type RebuildOptions, type RebuildResult, rebuildProjections } from "./replay/rebuildProjections.js";
export type { OnProgress, Progress } from "./replay/replay.js";
export { parseProjectionNames, projectionDigests, tableDigest } from "./replay/tables.js";
