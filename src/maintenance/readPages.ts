import { closeSync, existsSync, fstatSync, openSync, readSync } from "node:fs";

/**
 * What SQLite's recovery (`sqlite3 DB .recover`, through its sqlite_dbpage and
 * sqlite_dbdata tables) does, done here because neither SQLite at hand has them:
 * Debian's sqlite3 3.40.1 is built without SQLITE_ENABLE_DBPAGE_VTAB (`.recover`
 * fails with "SQL logic error" even on a healthy file) and better-sqlite3's SQLite
 * has neither table. Every page of the file, and every committed frame of its WAL,
 * is read on its own, without following the b-tree from its root: a damaged header,
 * interior page or index page hides nothing, and a damaged leaf page loses only its
 * own rows. The files are only ever opened for reading (https://sqlite.org/fileformat2.html).
 */

/** A row of a table b-tree leaf: its rowid and its record's values (text, numbers, null, blobs). */
export interface PageRow {
  rowid: number;
  values: (string | number | null | Uint8Array)[];
}

/** What a scan read: the page size it used, whether the header was SQLite's, what the WAL held. */
export interface PageScan {
  pageSize: number;
  /** The file's own header was readable (else `fallbackPageSize` was used). */
  headerReadable: boolean;
  /** Pages in the database file. */
  pages: number;
  /** Committed frames read from the -wal. */
  walFrames: number;
}

const HEADER = "SQLite format 3\0";

const validPageSize = (n: number): boolean => n >= 512 && n <= 65536 && (n & (n - 1)) === 0;

/** The page size and reserved bytes a header names, or undefined for a header that is not SQLite's. */
const readHeader = (header: Buffer): { pageSize: number; reserved: number } | undefined => {
  if (header.length < 100 || header.toString("latin1", 0, 16) !== HEADER) return undefined;
  const raw = header.readUInt16BE(16);
  const pageSize = raw === 1 ? 65536 : raw;
  if (!validPageSize(pageSize) || header[21] !== 64 || header[22] !== 32 || header[23] !== 32) return undefined;
  return { pageSize, reserved: header[20] ?? 0 };
};

/** A varint at `at`: its value (exact up to 2^53) and its length. */
const varint = (buf: Uint8Array, at: number): [number, number] => {
  let value = 0;
  for (let i = 0; i < 8; i++) {
    const byte = buf[at + i];
    if (byte === undefined) throw new RangeError("varint past the end of the page");
    value = value * 128 + (byte & 0x7f);
    if (byte < 0x80) return [value, i + 1];
  }
  const last = buf[at + 8];
  if (last === undefined) throw new RangeError("varint past the end of the page");
  return [value * 256 + last, 9];
};

const readInt = (buf: Buffer, at: number, bytes: number): number => {
  if (at + bytes > buf.length) throw new RangeError("value past the end of the record");
  if (bytes === 8) {
    const big = buf.readBigInt64BE(at);
    if (big > BigInt(Number.MAX_SAFE_INTEGER) || big < BigInt(Number.MIN_SAFE_INTEGER))
      throw new RangeError("an integer beyond 2^53");
    return Number(big);
  }
  return buf.readIntBE(at, bytes);
};

const INT_BYTES = [0, 1, 2, 3, 4, 6, 8];

/** The values of a record (https://sqlite.org/fileformat2.html#record_format), UTF-8 text. */
export const decodeRecord = (record: Buffer): PageRow["values"] => {
  const [headerSize, n] = varint(record, 0);
  if (headerSize > record.length || headerSize < n) throw new RangeError("record header past its end");
  const types: number[] = [];
  for (let at = n; at < headerSize; ) {
    const [type, len] = varint(record, at);
    types.push(type);
    at += len;
  }
  const values: PageRow["values"] = [];
  let at = headerSize;
  for (const type of types) {
    if (type === 0) values.push(null);
    else if (type <= 6) {
      const bytes = INT_BYTES[type] ?? 0;
      values.push(readInt(record, at, bytes));
      at += bytes;
    } else if (type === 7) {
      if (at + 8 > record.length) throw new RangeError("value past the end of the record");
      values.push(record.readDoubleBE(at));
      at += 8;
    } else if (type === 8 || type === 9) values.push(type - 8);
    else if (type < 12) throw new RangeError(`reserved serial type ${type}`);
    else {
      const length = Math.floor((type - 12) / 2);
      if (at + length > record.length) throw new RangeError("value past the end of the record");
      const bytes = record.subarray(at, at + length);
      values.push(type % 2 === 1 ? bytes.toString("utf8") : new Uint8Array(bytes));
      at += length;
    }
  }
  return values;
};

/** Reads pages: the newest committed image of each (the WAL's, else the file's), for overflow chains. */
type PageSource = (pgno: number) => Buffer | undefined;

/**
 * The rows of one table leaf page (type 0x0D); nothing for any other page. A cell
 * that cannot be decoded (its bytes damaged) is skipped, the others are kept.
 */
export const leafRows = (page: Buffer, pgno: number, usable: number, pageAt: PageSource): PageRow[] => {
  const start = pgno === 1 ? 100 : 0;
  if (page[start] !== 0x0d) return [];
  const cells = page.readUInt16BE(start + 3);
  const rows: PageRow[] = [];
  const maxLocal = usable - 35;
  const minLocal = Math.floor(((usable - 12) * 32) / 255) - 23;
  for (let i = 0; i < cells; i++) {
    try {
      const pointer = start + 8 + 2 * i;
      if (pointer + 2 > page.length) break;
      let at = page.readUInt16BE(pointer);
      if (at < start + 8 || at >= usable) continue;
      const [size, a] = varint(page, at);
      at += a;
      const [rowid, b] = varint(page, at);
      at += b;
      let local = size;
      if (size > maxLocal) {
        const k = minLocal + ((size - minLocal) % (usable - 4));
        local = k <= maxLocal ? k : minLocal;
      }
      if (at + local > usable) continue;
      const parts = [page.subarray(at, at + local)];
      let got = local;
      if (size > local) {
        let next = page.readUInt32BE(at + local);
        const seen = new Set<number>();
        while (got < size && next !== 0 && !seen.has(next)) {
          seen.add(next);
          const overflow = pageAt(next);
          if (!overflow) break;
          const take = Math.min(size - got, usable - 4);
          parts.push(overflow.subarray(4, 4 + take));
          got += take;
          next = overflow.readUInt32BE(0);
        }
        if (got < size) continue;
      }
      rows.push({ rowid, values: decodeRecord(Buffer.concat(parts)) });
    } catch (e) {
      if (!(e instanceof RangeError)) throw e;
    }
  }
  return rows;
};

/**
 * The committed frames of a WAL (salts and checksums valid, up to its last commit), read
 * one frame at a time: each frame's page number and where its page image starts.
 */
const walFrames = (fd: number, size: number, pageSize: number): { pgno: number; at: number }[] => {
  const header = Buffer.alloc(32);
  if (size < 32 || readSync(fd, header, 0, 32, 0) < 32) return [];
  const magic = header.readUInt32BE(0);
  if (magic !== 0x377f0682 && magic !== 0x377f0683) return [];
  if (header.readUInt32BE(8) !== pageSize) return [];
  const bigEndian = magic === 0x377f0683;
  const word = (buf: Buffer, at: number) => (bigEndian ? buf.readUInt32BE(at) : buf.readUInt32LE(at));
  let s0 = 0;
  let s1 = 0;
  const sum = (buf: Buffer, from: number, to: number) => {
    for (let at = from; at < to; at += 8) {
      s0 = (s0 + word(buf, at) + s1) >>> 0;
      s1 = (s1 + word(buf, at + 4) + s0) >>> 0;
    }
  };
  sum(header, 0, 24);
  if (s0 !== header.readUInt32BE(24) || s1 !== header.readUInt32BE(28)) return [];
  const salt1 = header.readUInt32BE(16);
  const salt2 = header.readUInt32BE(20);
  const frames: { pgno: number; at: number }[] = [];
  let committed = 0;
  const frame = Buffer.alloc(24 + pageSize);
  for (let at = 32; at + frame.length <= size; at += frame.length) {
    if (readSync(fd, frame, 0, frame.length, at) < frame.length) break;
    if (frame.readUInt32BE(8) !== salt1 || frame.readUInt32BE(12) !== salt2) break;
    sum(frame, 0, 8);
    sum(frame, 24, frame.length);
    if (s0 !== frame.readUInt32BE(16) || s1 !== frame.readUInt32BE(20)) break;
    frames.push({ pgno: frame.readUInt32BE(0), at: at + 24 });
    if (frame.readUInt32BE(4) !== 0) committed = frames.length;
  }
  return frames.slice(0, committed);
};

/**
 * Read every table leaf page of a database file and of its -wal's committed frames,
 * page by page, and hand each row to `onRow` (a row may come twice: from the file and
 * from a newer image of its page in the WAL). `fallbackPageSize` is used when the
 * file's header is not SQLite's (a damaged header). Opens both files read-only.
 * @example scanPages("data/ai_artist.db", 4096, (row) => rows.push(row))
 */
export const scanPages = (
  file: string,
  fallbackPageSize: number,
  onRow: (row: PageRow) => void,
  onProgress?: (progress: { done: number; total: number }) => void,
): PageScan => {
  const fd = openSync(file, "r");
  const walFd = existsSync(`${file}-wal`) ? openSync(`${file}-wal`, "r") : undefined;
  try {
    const header = Buffer.alloc(100);
    readSync(fd, header, 0, 100, 0);
    const parsed = readHeader(header);
    const pageSize = parsed?.pageSize ?? fallbackPageSize;
    const usable = pageSize - (parsed?.reserved ?? 0);
    const pages = Math.floor(fstatSync(fd).size / pageSize);
    const frames = walFd === undefined ? [] : walFrames(walFd, fstatSync(walFd).size, pageSize);
    const newest = new Map<number, number>();
    for (const f of frames) newest.set(f.pgno, f.at);
    const read = (from: number, at: number): Buffer => {
      const page = Buffer.alloc(pageSize);
      readSync(from, page, 0, pageSize, at);
      return page;
    };
    const pageAt: PageSource = (pgno) => {
      const inWal = newest.get(pgno);
      if (inWal !== undefined && walFd !== undefined) return read(walFd, inWal);
      return pgno >= 1 && pgno <= pages ? read(fd, (pgno - 1) * pageSize) : undefined;
    };
    const total = pages + frames.length;
    const chunk = Buffer.alloc(pageSize * 256);
    for (let first = 1; first <= pages; first += 256) {
      const count = Math.min(256, pages - first + 1);
      readSync(fd, chunk, 0, count * pageSize, (first - 1) * pageSize);
      for (let i = 0; i < count; i++)
        for (const row of leafRows(chunk.subarray(i * pageSize, (i + 1) * pageSize), first + i, usable, pageAt))
          onRow(row);
      onProgress?.({ done: first + count - 1, total });
    }
    frames.forEach((f, i) => {
      if (walFd === undefined) return;
      for (const row of leafRows(read(walFd, f.at), f.pgno, usable, pageAt)) onRow(row);
      if (i % 256 === 255) onProgress?.({ done: pages + i + 1, total });
    });
    onProgress?.({ done: total, total });
    return { pageSize, headerReadable: parsed !== undefined, pages, walFrames: frames.length };
  } finally {
    closeSync(fd);
    if (walFd !== undefined) closeSync(walFd);
  }
};
