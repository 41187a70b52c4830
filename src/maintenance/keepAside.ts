import { existsSync, renameSync, rmSync } from "node:fs";
import { basename, dirname, extname, join } from "node:path";
import type { Db } from "../db/connection.js";
import { StoreError } from "../db/errors.js";
import { copyFileBytes, createFile, fsyncPath } from "../db/files.js";
import { asDiskFailure, errnoCode, isSqliteError } from "../db/sqliteErrors.js";

/** How the replaced database was kept: a VACUUM INTO copy, or its file and -wal byte for byte. */
export type KeptAs = "copy" | "bytes";

/** An error that says SQLite cannot read the file as a database. */
export const unreadable = (e: unknown): boolean =>
  (e instanceof StoreError && e.code === "NOT_A_DATABASE") ||
  isSqliteError(e, "SQLITE_NOTADB") ||
  isSqliteError(e, "SQLITE_CORRUPT");

/**
 * Where a kept copy is written until it is complete: a hidden name beside it, renamed to the visible one only once
 * the copy is whole and synced, so a restore killed midway never leaves a partial file that passes for a copy.
 */
const partialOf = (aside: string): string => join(dirname(aside), `.${basename(aside)}.partial`);

/** Write a kept copy under its partial name, then give it its visible name, synced. */
const completeAside = (aside: string, write: (partial: string) => void): void => {
  const partial = partialOf(aside);
  write(partial);
  fsyncPath(partial);
  renameSync(partial, aside);
  fsyncPath(dirname(aside));
};

/**
 * The name of the copy of what the live file held, `<name>.replaced-<time>.db` (`-2`, `-3`… when restores share a
 * millisecond), reserved by an empty owner-only file under its hidden partial name.
 * @example reserveAside("/srv/ai_artist.db", new Date()) // "/srv/ai_artist.replaced-2026-01-08T02-00-00.000Z.db"
 */
export const reserveAside = (file: string, now: Date): string => {
  const ext = extname(file);
  const stem = join(dirname(file), `${basename(file, ext)}.replaced-${now.toISOString().replaceAll(":", "-")}`);
  for (let n = 1; ; n++) {
    const candidate = `${stem}${n === 1 ? "" : `-${n}`}${ext}`;
    if (existsSync(candidate)) continue;
    try {
      createFile(partialOf(candidate));
      return candidate;
    } catch (e) {
      if (errnoCode(e) !== "EEXIST") throw asDiskFailure(e, candidate, "the copy of the replaced database");
    }
  }
};

/** Remove a kept copy that turned out not to be needed (the restore failed and changed nothing). */
export const discardAside = (aside: string): void => {
  for (const f of [aside, `${aside}-wal`, partialOf(aside)]) rmSync(f, { force: true });
};

/**
 * Keep the live file and its -wal byte for byte (the WAL beside the copy, under
 * the copy's name: it is that file's own). Taken under the write lock, or of a
 * file no connection can write, nothing commits meanwhile; a checkpoint may still
 * copy WAL frames into the file, but the WAL is copied after the file and keeps
 * every frame, so recovery of the copy ends where the live database stood.
 */
export const keepBytes = (file: string, aside: string): KeptAs => {
  try {
    // The -wal first: the copy takes its visible name last, complete with the WAL that belongs to it.
    if (existsSync(`${file}-wal`)) copyFileBytes(`${file}-wal`, `${aside}-wal`);
    completeAside(aside, (partial) => {
      rmSync(partial, { force: true });
      copyFileBytes(file, partial);
    });
  } catch (e) {
    throw asDiskFailure(e, aside, "the copy of the replaced database");
  }
  return "bytes";
};

/**
 * Keep aside everything the live database acknowledged. Called while the restore
 * holds the write lock, so nothing can commit meanwhile: VACUUM INTO on another
 * connection is a read (WAL lets it run beside the lock) whose snapshot holds every
 * commit. VACUUM INTO copies indexes as they are (SQLite's transfer optimisation),
 * so a database damaged anywhere it reads is kept byte for byte instead.
 */
export const keepAside = (reader: Db, file: string, aside: string): KeptAs => {
  try {
    completeAside(aside, (partial) => reader.prepare("VACUUM INTO ?").run(partial));
    return "copy";
  } catch (e) {
    if (!unreadable(e)) throw asDiskFailure(e, aside, "the copy of the replaced database");
  }
  return keepBytes(file, aside);
};
