import { existsSync, lstatSync, realpathSync, rmSync, truncateSync } from "node:fs";
import { basename, dirname, join, resolve } from "node:path";
import { type Db, openConnection } from "../db/connection.js";
import { clearDamageMark } from "../db/damage.js";
import { StoreError } from "../db/errors.js";
import { createFile, fsyncPath, makeDirectory } from "../db/files.js";
import { asDiskFailure, errnoCode, messageOf } from "../db/sqliteErrors.js";
import { copyIntoLive } from "./copyIntoLive.js";
import { discardAside, type KeptAs, keepAside, keepBytes, reserveAside, unreadable } from "./keepAside.js";
import { assertLiveSchema, inspectLive } from "./liveDatabase.js";
import { prepareVerifiedCopy, type VerifiedCopy } from "./verifiedCopy.js";

/** What a restore did: the database, the file written, the backup, where the replaced content was kept. */
export interface RestoreResult {
  /** The database as named (a symlink stays a symlink). */
  path: string;
  /** The file that now holds the backup's content: the target of `path` when it is a symlink. */
  file: string;
  from: string;
  /** Where the replaced database was kept (null when there was none). */
  replacedKeptAt: string | null;
  /**
   * How: "copy" (VACUUM INTO under the write lock: every committed row, in one file),
   * "bytes" (too damaged for that: its file and -wal as they were), null when there was none.
   */
  replacedKeptAs: KeptAs | null;
  /** Migrations the backup predated, applied to its copy before it went in. */
  migrated: string[];
  /** How long the write lock on the live file was held (keeping it aside, copying the backup in): what writers waited at most. */
  lockMs: number;
}

/**
 * The time in kept-aside names, and how long to try for the write lock.
 * @example restoreDatabase(backup, live, { lockWaitMs: 60_000 })
 */
export interface RestoreOptions {
  now?: Date;
  /** How long to keep trying for the write lock while other connections hold it (default 30 s). */
  lockWaitMs?: number;
  /** Keep the replaced database's file and -wal byte for byte, even when it is readable (recover keeps what it read from). */
  keepReplacedBytes?: boolean;
}

/** The file a restore writes: a symlink's target (the link stays), else the path in its real folder. */
const liveFile = (path: string): string => {
  if (existsSync(path)) return realpathSync(path);
  let dangling = false;
  try {
    dangling = lstatSync(path).isSymbolicLink();
  } catch (e) {
    if (errnoCode(e) !== "ENOENT") throw e;
  }
  if (dangling)
    throw new StoreError("INVALID_ARGUMENT", `${path} is a symbolic link to a file that does not exist`, { path });
  makeDirectory(dirname(path));
  return join(realpathSync(dirname(path)), basename(path));
};

/** An empty database in WAL mode with the copy's page size: what the copy goes into when there is no live one. */
const emptyWalDatabase = (file: string, pageSize: number): void => {
  if (!existsSync(file)) createFile(file);
  const db = openConnection(file);
  try {
    db.pragma(`page_size = ${pageSize}`);
    db.pragma("journal_mode = WAL");
  } finally {
    db.close();
  }
};

/**
 * A live file SQLite cannot lock (its header is not SQLite's, so no connection can
 * write it either), already kept aside byte for byte: emptied in place, never
 * renamed, and filled from the copy. Meanwhile a process that opens it finds an
 * empty database and refuses it (SCHEMA_MISSING).
 */
const replaceInPlace = async (source: Db, copy: VerifiedCopy, file: string, aside: string, lockWaitMs: number) => {
  try {
    truncateSync(file, 0);
    // Its WAL and index belong to the damaged content: left beside the emptied file they would be replayed into it.
    for (const s of ["-wal", "-shm"]) rmSync(file + s, { force: true });
    emptyWalDatabase(file, copy.pageSize);
    return (await copyIntoLive(source, file, () => undefined, lockWaitMs)).lockMs;
  } catch (e) {
    const failure = asDiskFailure(e, file, "the restored database");
    throw new StoreError(
      failure instanceof StoreError ? failure.code : "DISK_IO_ERROR",
      `${messageOf(failure)}; the damaged database is kept at ${aside}`,
      { path: file, aside },
      { cause: e },
    );
  }
};

/**
 * Replace a database's content with a backup's, atomically for every other
 * connection, which may stay open: they see the old database or the restored one,
 * nothing between, and re-read the schema. The backup is first copied beside the
 * live file and checked there (integrity_check, known migrations), and migrated
 * if it predates this code. Then SQLite's backup API writes it into the live file
 * in one write transaction; while that transaction holds the write lock, before it
 * commits, everything the live database acknowledged is kept aside with VACUUM INTO
 * (byte for byte if it is too damaged for that). No file is renamed: a symlink
 * keeps pointing at the restored file.
 * @example const { replacedKeptAt } = await restoreDatabase("data/backups/ai_artist-2026-01-08T02-00-00.000Z.db", "data/ai_artist.db")
 */
export const restoreDatabase = async (
  from: string,
  live: string,
  { now = new Date(), lockWaitMs = 30_000, keepReplacedBytes = false }: RestoreOptions = {},
): Promise<RestoreResult> => {
  const path = resolve(live);
  if (!existsSync(from)) throw new StoreError("NOT_A_DATABASE", `backup ${from} does not exist`, { from });
  const file = liveFile(path);
  const target = inspectLive(file);
  let copy: VerifiedCopy | undefined;
  let aside: string | null = null;
  let keptAs: KeptAs | null = null;
  let lockMs = 0;
  try {
    copy = prepareVerifiedCopy(from, file, target.state === "readable" ? target.pageSize : undefined);
    const verified = copy;
    const source = openConnection(copy.path);
    try {
      if (target.state === "missing") {
        emptyWalDatabase(file, copy.pageSize);
        lockMs = (await copyIntoLive(source, file, () => undefined, lockWaitMs)).lockMs;
      } else if (target.state === "unreadable") {
        const kept = reserveAside(file, now);
        aside = kept;
        keptAs = keepBytes(file, kept);
        lockMs = await replaceInPlace(source, verified, file, kept, lockWaitMs);
      } else {
        const kept = reserveAside(file, now);
        aside = kept;
        const whileLocked =
          target.state === "readable"
            ? () => {
                assertLiveSchema(target.reader, file);
                return keepReplacedBytes ? keepBytes(file, kept) : keepAside(target.reader, file, kept);
              }
            : () => keepBytes(file, kept);
        try {
          const copied = await copyIntoLive(source, file, whileLocked, lockWaitMs);
          keptAs = copied.value;
          lockMs = copied.lockMs;
        } catch (e) {
          // A header SQLite accepted but cannot lock by: as unreadable.
          if (target.state !== "damaged" || !unreadable(e)) throw e;
          keptAs = keepBytes(file, kept);
          lockMs = await replaceInPlace(source, verified, file, kept, lockWaitMs);
        }
      }
    } finally {
      source.close();
    }
    // A checkpoint syncs the restored pages to disk now, not at the next one (synchronous=NORMAL).
    if (target.state === "readable") target.reader.pragma("wal_checkpoint(PASSIVE)");
  } catch (e) {
    // Nothing was kept means nothing was changed: the backup API rolled the copy back.
    if (aside && keptAs === null) discardAside(aside);
    throw e;
  } finally {
    copy?.dispose();
    if (target.state === "readable") target.reader.close();
  }
  clearDamageMark(file);
  fsyncPath(dirname(file));
  return { path, file, from, replacedKeptAt: aside, replacedKeptAs: keptAs, migrated: copy.migrated, lockMs };
};
