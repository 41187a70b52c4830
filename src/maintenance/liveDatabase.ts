import { closeSync, existsSync, openSync, readSync, statSync } from "node:fs";
import { z } from "zod";
import { type Db, openConnection } from "../db/connection.js";
import { StoreError } from "../db/errors.js";
import { migrationStatus } from "../db/migrations.js";
import { cliCommand } from "../db/paths.js";
import { unreadable } from "./keepAside.js";

/**
 * What a restore finds at the live path:
 * - `missing`: no file, or an empty one;
 * - `unreadable`: a file whose header is not SQLite's: no connection can read or lock it;
 * - `damaged`: a SQLite header, but the schema cannot be read;
 * - `readable`: open, with a connection that reads it and its page size.
 */
export type LiveDatabase =
  | { state: "missing" }
  | { state: "unreadable" }
  | { state: "damaged" }
  | { state: "readable"; reader: Db; pageSize: number };

/**
 * Whether the first 100 bytes are a SQLite header SQLite would accept (magic, page
 * size, payload fractions). Read without SQLite: a connection that fails on a bad
 * header still runs its close, which deletes or checkpoints the file's -wal, and
 * that WAL is part of what the restore must keep.
 */
const sqliteHeader = (file: string): boolean => {
  const header = Buffer.alloc(100);
  const fd = openSync(file, "r");
  try {
    if (readSync(fd, header, 0, 100, 0) < 100) return false;
  } finally {
    closeSync(fd);
  }
  const pageSize = header.readUInt16BE(16) === 1 ? 65536 : header.readUInt16BE(16);
  return (
    header.toString("latin1", 0, 16) === "SQLite format 3\0" &&
    pageSize >= 512 &&
    (pageSize & (pageSize - 1)) === 0 &&
    header[21] === 64 &&
    header[22] === 32 &&
    header[23] === 32
  );
};

const orphanSideFile = (file: string) => {
  for (const side of ["-wal", "-journal"])
    if (existsSync(file + side))
      throw new StoreError(
        "INVALID_ARGUMENT",
        `${file}${side} exists without its database ${file}: it would be replayed into the restored file; move it away, then restore`,
        { path: file },
      );
};

/** Look at the live file, in that order: absent or empty, SQLite header, schema readable. */
export const inspectLive = (file: string): LiveDatabase => {
  if (!existsSync(file) || statSync(file).size === 0) {
    orphanSideFile(file);
    return { state: "missing" };
  }
  if (!sqliteHeader(file)) return { state: "unreadable" };
  let reader: Db;
  try {
    reader = openConnection(file);
  } catch (e) {
    if (unreadable(e)) return { state: "damaged" };
    throw e;
  }
  try {
    if (reader.pragma("journal_mode = WAL", { simple: true }) !== "wal")
      throw new StoreError(
        "DATABASE_IN_USE",
        `database ${file} is not in WAL mode and cannot be switched to it now (another process has it open): ` +
          "stop them and restore again",
        { path: file },
      );
    return { state: "readable", reader, pageSize: z.number().parse(reader.pragma("page_size", { simple: true })) };
  } catch (e) {
    reader.close();
    throw e;
  }
};

/** Refuse a live database whose schema is not this code's: the restored one will be, under its other processes. */
export const assertLiveSchema = (reader: Db, file: string): void => {
  let status: ReturnType<typeof migrationStatus>;
  try {
    status = migrationStatus(reader);
  } catch (e) {
    if (unreadable(e)) return; // damaged: what the restore is for
    throw e;
  }
  if (status.applied.length === 0) return;
  if (status.unknown.length > 0)
    throw new StoreError(
      "UNKNOWN_MIGRATIONS",
      `database ${file} has migrations this code does not know (${status.unknown.join(", ")}): ` +
        "restore it with the version of ai-artist-store that wrote it; nothing was changed",
      { path: file, unknown: status.unknown },
    );
  if (status.pending.length > 0)
    throw new StoreError(
      "PENDING_MIGRATIONS",
      `database ${file} has ${status.pending.length} pending migration(s) (${status.pending.join(", ")}): ` +
        `run \`${cliCommand("migrate", file)}\` first, so that it has the schema the restored copy gets; nothing was changed`,
      { path: file, pending: status.pending },
    );
};
