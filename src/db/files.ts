import {
  accessSync,
  chmodSync,
  closeSync,
  constants,
  existsSync,
  fchmodSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readSync,
  writeSync,
} from "node:fs";
import { dirname, resolve } from "node:path";
import { StoreError } from "./errors.js";
import { errnoCode, messageOf } from "./sqliteErrors.js";

/**
 * The environment variable that sets the mode of the files the store creates (octal, e.g. `0640`).
 * @example ARTIST_STORE_FILE_MODE=0640 npx artist-store backup
 */
export const FILE_MODE_ENV = "ARTIST_STORE_FILE_MODE";

/**
 * The modes of what the store creates: owner-only (0600 files, 0700 folders) unless
 * `ARTIST_STORE_FILE_MODE` says otherwise; a folder gets the file mode plus x wherever it grants r.
 * @example fileModes({ ARTIST_STORE_FILE_MODE: "0640" }) // { file: 0o640, dir: 0o750 }
 */
export const fileModes = (env: NodeJS.ProcessEnv = process.env): { file: number; dir: number } => {
  const raw = env[FILE_MODE_ENV]?.trim();
  let file = 0o600;
  if (raw) {
    if (!/^0?[0-7]{3}$/.test(raw))
      throw new StoreError(
        "INVALID_ARGUMENT",
        `${FILE_MODE_ENV}=${raw} is not a file mode: expected three octal digits such as 0600 or 0640`,
        { [FILE_MODE_ENV]: raw },
      );
    file = Number.parseInt(raw, 8);
    if ((file & 0o600) !== 0o600)
      throw new StoreError(
        "INVALID_ARGUMENT",
        `${FILE_MODE_ENV}=${raw} must let the owner read and write (0600 at least)`,
        { [FILE_MODE_ENV]: raw },
      );
  }
  // r on a folder lists it, x enters it: give x wherever r is granted.
  return { file, dir: file | ((file & 0o444) >> 2) };
};

/** Why a folder cannot be written, in words, or undefined when it can (or its trouble is something else). */
export const unwritableFolder = (dir: string): string | undefined => {
  let probe = dir;
  while (!existsSync(probe) && dirname(probe) !== probe) probe = dirname(probe);
  try {
    accessSync(probe, constants.W_OK);
    return undefined;
  } catch (e) {
    const code = errnoCode(e);
    if (code === "EROFS") return `${probe} is on a read-only file system`;
    if (code === "EACCES" || code === "EPERM") return `this user may not write in ${probe}`;
    return undefined;
  }
};

/**
 * Create a folder (and its missing parents) with the store's folder mode; an existing one is left as it is.
 * @example makeDirectory("data/backups")
 */
export const makeDirectory = (folder: string): void => {
  const dir = resolve(folder);
  if (existsSync(dir)) return;
  const { dir: mode } = fileModes();
  let first: string | undefined;
  try {
    first = mkdirSync(dir, { recursive: true, mode });
  } catch (cause) {
    const why = unwritableFolder(dir);
    throw new StoreError(
      why ? "READ_ONLY" : "DISK_IO_ERROR",
      `cannot create folder ${dir}: ${why ?? messageOf(cause)}`,
      { path: dir },
      { cause },
    );
  }
  // mkdir's mode passes through the umask: set it exactly on each folder made.
  for (let d = dir; first !== undefined && d.length >= first.length; d = dirname(d)) chmodSync(d, mode);
};

/**
 * Create an empty file with the store's file mode, failing if it exists. SQLite gives
 * a database's -wal, -shm and -journal the mode of the database file, so creating
 * the file before SQLite or dbmate does sets theirs too.
 * @example createFile("data/ai_artist.db"); runDbmate("data/ai_artist.db", ["up"]);
 */
export const createFile = (path: string): void => {
  const { file: mode } = fileModes();
  const fd = openSync(path, "wx", mode);
  try {
    fchmodSync(fd, mode);
  } finally {
    closeSync(fd);
  }
};

/**
 * Copy a file's bytes into a new file with the store's file mode (copyFile would
 * give the copy the source's mode), and fsync it.
 * @example copyFileBytes("data/ai_artist.db", "data/ai_artist.replaced-….db")
 */
export const copyFileBytes = (from: string, to: string): void => {
  const { file: mode } = fileModes();
  const input = openSync(from, "r");
  try {
    const output = openSync(to, "wx", mode);
    try {
      fchmodSync(output, mode);
      const buffer = Buffer.allocUnsafe(1 << 20);
      for (let n = readSync(input, buffer); n > 0; n = readSync(input, buffer)) {
        for (let written = 0; written < n; ) written += writeSync(output, buffer, written, n - written);
      }
      fsyncSync(output);
    } finally {
      closeSync(output);
    }
  } finally {
    closeSync(input);
  }
};

/** fsync a file or a folder (a folder: so a file created or renamed in it survives a power loss). */
export const fsyncPath = (path: string): void => {
  const fd = openSync(path, "r");
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
};
