import { existsSync, realpathSync, rmSync } from "node:fs";
import { basename, dirname, join, resolve } from "node:path";
import { z } from "zod";
import { openConnection } from "../db/connection.js";
import { clearDamageMark, markDamaged, readDamageMark } from "../db/damage.js";
import { StoreError } from "../db/errors.js";
import { copyFileBytes, makeDirectory } from "../db/files.js";
import { escapeForRegExp, removeLeftoversOfDeadProcesses } from "../db/leftovers.js";
import { migrationStatus } from "../db/migrations.js";
import { asDiskFailure } from "../db/sqliteErrors.js";
import { migrateDatabase } from "../events/backfillChain.js";
import { GENESIS_HASH } from "../events/chain.js";
import { rebuildProjections } from "../replay/rebuildProjections.js";
import { openStore } from "../store/openStore.js";
import { defaultBackupDir, type LogHead, listBackups } from "./backup.js";
import { restoreDatabase } from "./restore.js";
import {
  appendSalvaged,
  collectEvents,
  type DamagedFile,
  differingFromBackup,
  type LostRange,
  openSalvage,
  type PositionRange,
} from "./salvage.js";
import { formatFinding, type VerifyFinding, verifyDatabase } from "./verify.js";

export type { DamagedFile, LostRange, PositionRange } from "./salvage.js";

/**
 * Which backup to start from, whether to replace the database, and a progress callback.
 * @example await recoverDatabase("data/ai_artist.db", { dryRun: true })
 */
export interface RecoverOptions {
  /** Start from this backup (default: the newest of `backupDir` that verifies). */
  backup?: string;
  /** Folder of the backups (default: `backups/` beside the database, as `backup list`). */
  backupDir?: string;
  /** Report what a recovery would give, replace nothing. */
  dryRun?: boolean;
  /** The time in the kept-aside name. */
  now?: Date;
  /** How long the restore keeps trying for the write lock (default 30 s). */
  lockWaitMs?: number;
  onProgress?: (progress: { phase: "scan" | "salvage" | "rebuild"; done: number; total: number }) => void;
}

/** What recover did: the backup it started from, what it salvaged and lost, and the result. */
export interface RecoverReport {
  path: string;
  dryRun: boolean;
  backup: { file: string; head: LogHead | null; migrated: string[] };
  /** Newer backups passed over because they do not verify. */
  skippedBackups: { file: string; reason: string }[];
  damaged: DamagedFile;
  /** Positions after the backup's head appended from the damaged file, as stored. */
  salvaged: PositionRange[];
  /** Positions the damaged log held that the result does not, and why. */
  lost: LostRange[];
  /** Positions of the backup the damaged file holds with another hash (the backup's are kept). */
  differing: PositionRange[];
  /** The recovered log's newest event. */
  head: LogHead | null;
  verify: { ok: boolean; findings: VerifyFinding[] };
  /** The recovered database was put in place (not on a dry run, nor when it fails verify). */
  replaced: boolean;
  /** Where the damaged database's file (and -wal) is kept, byte for byte. */
  damagedKeptAt: string | null;
  /** Nothing was lost: every event up to the damaged file's last readable one is in the result. */
  complete: boolean;
  durationMs: number;
}

const scratchPattern = (file: string) => new RegExp(`^\\.${escapeForRegExp(basename(file))}\\.recovering-(\\d+)$`);

/** Copy a backup into the scratch folder, bring it to this code's schema and verify it; the reason when it fails. */
const tryBackup = (
  from: string,
  to: string,
): { ok: true; head: LogHead | null; migrated: string[] } | { ok: false; reason: string } => {
  for (const s of ["", "-wal", "-shm"]) rmSync(to + s, { force: true });
  copyFileBytes(from, to);
  if (existsSync(`${from}-wal`)) copyFileBytes(`${from}-wal`, `${to}-wal`);
  let pending: string[];
  try {
    const db = openConnection(to);
    try {
      const status = migrationStatus(db);
      if (status.applied.length === 0) return { ok: false, reason: "no ai-artist-store schema" };
      if (status.unknown.length)
        return { ok: false, reason: `migrations this code does not know (${status.unknown.join(", ")})` };
      pending = status.pending;
    } finally {
      db.close();
    }
    if (pending.length) migrateDatabase(to);
  } catch (e) {
    if (e instanceof StoreError) return { ok: false, reason: e.message };
    throw e;
  }
  const report = verifyDatabase(to);
  if (!report.ok) {
    const first = report.findings[0];
    return { ok: false, reason: `verify: ${first ? formatFinding(first) : "failed"}` };
  }
  return { ok: true, head: report.head, migrated: pending };
};

/** The newest backup that verifies, copied to `to`; a StoreError naming each one tried when none does. */
const chooseBackup = (path: string, to: string, options: RecoverOptions) => {
  const dir = options.backupDir ?? defaultBackupDir(path);
  const files = options.backup ? [resolve(options.backup)] : listBackups(path, dir).map((b) => b.file);
  if (options.backup && !existsSync(files[0] ?? ""))
    throw new StoreError("NO_BACKUP", `backup ${options.backup} does not exist; nothing was changed`, { path });
  if (files.length === 0)
    throw new StoreError(
      "NO_BACKUP",
      `no backup of ${path} in ${dir}: recover starts from a backup that verifies (\`backup list\`, or --backup FILE); nothing was changed`,
      { path, dir },
    );
  const skipped: { file: string; reason: string }[] = [];
  for (const file of files) {
    const tried = tryBackup(file, to);
    if (tried.ok) return { file, head: tried.head, migrated: tried.migrated, skipped };
    skipped.push({ file, reason: tried.reason });
  }
  throw new StoreError(
    "NO_BACKUP",
    `no backup of ${path} verifies (${skipped.map((s) => `${basename(s.file)}: ${s.reason}`).join("; ")}); nothing was changed`,
    { path, skipped },
  );
};

/**
 * Recover a damaged database: start from the newest backup that verifies, append
 * every later event the damaged file still holds whose chain links onto the
 * backup's head (read page by page, past damaged pages, as SQLite's `.recover`
 * does), as stored, rebuild the projections, verify, and put the result in place
 * with restoreDatabase, which keeps the damaged file and its -wal aside byte for
 * byte. Everything happens on copies in a scratch folder beside the database; the
 * damaged file is only ever opened for reading. The database is marked damaged
 * while recover works (appends are refused) and the restore removes the mark.
 * @example const report = await recoverDatabase("data/ai_artist.db"); if (!report.complete) console.log(report.lost);
 */
export const recoverDatabase = async (live: string, options: RecoverOptions = {}): Promise<RecoverReport> => {
  const started = performance.now();
  const path = resolve(live);
  if (!existsSync(path))
    throw new StoreError("NOT_A_DATABASE", `database ${path} does not exist: nothing to recover; restore a backup`, {
      path,
    });
  const folder = dirname(realpathSync(path));
  removeLeftoversOfDeadProcesses(folder, scratchPattern(path));
  const scratch = join(folder, `.${basename(path)}.recovering-${process.pid}`);
  const dryRun = options.dryRun === true;
  let marked = false;
  try {
    rmSync(scratch, { recursive: true, force: true });
    makeDirectory(scratch);
  } catch (e) {
    throw asDiskFailure(e, scratch, "the scratch folder of recover");
  }
  try {
    const resultPath = join(scratch, "recovered.db");
    const backup = chooseBackup(path, resultPath, options);
    // Appends are refused from here on: an event acknowledged meanwhile would be in neither file.
    if (!dryRun && readDamageMark(path) === undefined) {
      markDamaged(path, "recover is rebuilding it from a backup and the damaged file", "recover");
      marked = true;
    }
    const pageSize = withDb(resultPath, (db) => z.number().parse(db.pragma("page_size", { simple: true })));
    const salvage = openSalvage(join(scratch, "salvage.db"));
    const result = openConnection(resultPath);
    let salvaged: ReturnType<typeof appendSalvaged>;
    let damaged: DamagedFile;
    let differing: PositionRange[];
    try {
      damaged = collectEvents(path, salvage, pageSize, (p) => options.onProgress?.({ phase: "scan", ...p }));
      const head = backup.head ?? { position: 0, hash: GENESIS_HASH };
      differing = differingFromBackup(salvage, result, head.position);
      const end = Math.max(damaged.lastReadable ?? 0, damaged.counter ?? 0, head.position);
      salvaged = appendSalvaged(
        salvage,
        result,
        { position: head.position, hash: head.hash ?? GENESIS_HASH },
        end,
        (p) => options.onProgress?.({ phase: "salvage", ...p }),
      );
    } finally {
      salvage.close();
      result.close();
    }
    const store = openStore({ url: resultPath, stale: "ignore", onWarning: () => {} });
    try {
      rebuildProjections(store, { onProgress: (p) => options.onProgress?.({ phase: "rebuild", ...p }) });
    } finally {
      store.close();
    }
    const verified = verifyDatabase(resultPath);
    let damagedKeptAt: string | null = null;
    if (verified.ok && !dryRun) {
      const restored = await restoreDatabase(resultPath, path, {
        now: options.now,
        lockWaitMs: options.lockWaitMs,
        keepReplacedBytes: true,
      });
      damagedKeptAt = restored.replacedKeptAt;
    } else if (marked) clearDamageMark(path);
    return {
      path,
      dryRun,
      backup: { file: backup.file, head: backup.head, migrated: backup.migrated },
      skippedBackups: backup.skipped,
      damaged,
      salvaged: salvaged.salvaged,
      lost: salvaged.lost,
      differing,
      head: verified.head,
      verify: { ok: verified.ok, findings: verified.findings },
      replaced: damagedKeptAt !== null,
      damagedKeptAt,
      complete: salvaged.lost.length === 0,
      durationMs: performance.now() - started,
    };
  } catch (e) {
    if (marked) clearDamageMark(path);
    throw e;
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
};

const withDb = <T>(path: string, work: (db: ReturnType<typeof openConnection>) => T): T => {
  const db = openConnection(path);
  try {
    return work(db);
  } finally {
    db.close();
  }
};
