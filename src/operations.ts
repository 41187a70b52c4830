// Operators' API (`ai-artist-store/operations`): migrate, rebuild, audit and time travel; backup, restore,
// retention, doctor, verify and recover; the JSON-lines ingest of `artist-store emit`; filtered log reads and table digests;
// consumers (the `artist-store follow` protocol, listing, reset, delete).
export { type FollowIo, type FollowOptions, type FollowResult, followConsumer } from "./consumers/follow.js";
export { deleteConsumer, listConsumers, resetConsumer } from "./consumers/manage.js";
export type { ConsumerStatus } from "./consumers/status.js";
export { databasePath } from "./db/paths.js";
export { type BackfillOptions, backfillChain, migrateDatabase } from "./events/backfillChain.js";
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
export { byteLines } from "./ingest/lines.js";
export {
  type BackupOptions,
  type BackupProgress,
  type BackupResult,
  backupDatabase,
  defaultBackupDir,
  type LogHead,
  listBackups,
} from "./maintenance/backup.js";
export { type DoctorReport, diagnose } from "./maintenance/doctor.js";
export {
  type DamagedFile,
  type LostRange,
  type PositionRange,
  type RecoverOptions,
  type RecoverReport,
  recoverDatabase,
} from "./maintenance/recover.js";
export { type RestoreOptions, type RestoreResult, restoreDatabase } from "./maintenance/restore.js";
export { DOCUMENT_RETENTION, planRetention, type RetentionPolicy } from "./maintenance/retention.js";
export {
  formatFinding,
  type VerifyCheck,
  type VerifyFinding,
  type VerifyOptions,
  type VerifyReport,
  verifyDatabase,
  verifyLog,
} from "./maintenance/verify.js";
export { PROJECTION_NAMES, type ProjectionName } from "./projections/index.js";
export { projectionFingerprint } from "./projections/projectionState.js";
export { iterateQueryByName, queryColumns, runQueryByName } from "./queries/byName.js";
export { type AuditOptions, type AuditReport, auditProjections, formatAuditReport } from "./replay/auditProjections.js";
export type { DifferingRow, TableDrift } from "./replay/compareTables.js";
export { type AsOfOptions, openStoreAsOf, type StoreAsOf } from "./replay/openStoreAsOf.js";
export { type RebuildOptions, type RebuildResult, rebuildProjections } from "./replay/rebuildProjections.js";
export type { OnProgress, Progress } from "./replay/replay.js";
export { parseProjectionNames, projectionDigests, tableDigest } from "./replay/tables.js";
