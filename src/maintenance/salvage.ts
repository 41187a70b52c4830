import { hash } from "node:crypto";
import { z } from "zod";
import { type Db, openConnection } from "../db/connection.js";
import { chainHash, linkProblem } from "../events/chain.js";
import { type PageRow, type PageScan, scanPages } from "./readPages.js";
import { checkEvent, type VerifyFinding } from "./verifyChecks.js";

/** Positions from..to, both included. */
export interface PositionRange {
  from: number;
  to: number;
}

/**
 * Positions the damaged file's log held that the recovered log does not:
 * `unreadable` (no row of theirs could be read), `chain` (read, but not linked onto
 * the chain: it does not match its hash, or the events before it are lost), `schema`
 * (linked, but not a valid event).
 */
export interface LostRange extends PositionRange {
  reason: "unreadable" | "chain" | "schema";
  message: string;
}

/** What the damaged file held: what the scan read, its last readable event and its AUTOINCREMENT counter. */
export interface DamagedFile extends PageScan {
  /** Event rows read (a row found in two images of its page counts once). */
  rows: number;
  /** The highest position of an event row read, null when none was. */
  lastReadable: number | null;
  /** The log's AUTOINCREMENT counter as last stored, null when it could not be read. */
  counter: number | null;
}

const TEXT_COLUMNS = [1, 2, 4, 6, 7, 8, 9, 10];

/**
 * A record of the events table, as `.raw()` reads the row (the position, then the
 * columns in EVENT_COLUMNS order, then the hash), or undefined for any other record.
 * The position is the rowid: the record stores NULL in its place.
 */
const eventRow = (row: PageRow): unknown[] | undefined => {
  const v = row.values;
  if (v.length !== 11 || v[0] !== null) return undefined;
  if (!TEXT_COLUMNS.every((i) => typeof v[i] === "string")) return undefined;
  if (!Number.isInteger(v[3]) || !Number.isInteger(v[5])) return undefined;
  return [row.rowid, ...v.slice(1)];
};

const Candidate = z.object({ position: z.number().int(), row: z.string() });
const Fields = z.array(z.union([z.string(), z.number()]));

/**
 * Read every event row the damaged file still holds into `candidates` of a scratch
 * database (position, the row as JSON), each distinct version of a position once,
 * and the log's counter (the sqlite_sequence record of `events`).
 */
export const collectEvents = (
  damaged: string,
  salvage: Db,
  fallbackPageSize: number,
  onProgress?: (p: { done: number; total: number }) => void,
): DamagedFile => {
  salvage.exec(`CREATE TABLE candidates (position INTEGER NOT NULL, digest TEXT NOT NULL, row TEXT NOT NULL,
    PRIMARY KEY (position, digest)) WITHOUT ROWID`);
  const insert = salvage.prepare("INSERT OR IGNORE INTO candidates (position, digest, row) VALUES (?, ?, ?)");
  let counter: number | null = null;
  const scan = salvage.transaction(() =>
    scanPages(
      damaged,
      fallbackPageSize,
      (row) => {
        const v = row.values;
        if (v.length === 2 && v[0] === "events" && Number.isInteger(v[1]))
          counter = Math.max(counter ?? 0, Number(v[1]));
        const fields = eventRow(row);
        if (!fields) return;
        const json = JSON.stringify(fields);
        insert.run(row.rowid, hash("sha256", json), json);
      },
      onProgress,
    ),
  )();
  const stats = z
    .object({ rows: z.number(), last: z.number().nullable() })
    .parse(salvage.prepare("SELECT count(DISTINCT position) AS rows, max(position) AS last FROM candidates").get());
  return { ...scan, rows: stats.rows, lastReadable: stats.last, counter };
};

/** The candidates of each position in order, from `after` on: one array of rows per position. */
function* byPosition(salvage: Db, after: number): Generator<{ position: number; rows: unknown[][] }> {
  let current: { position: number; rows: unknown[][] } | undefined;
  for (const raw of salvage
    .prepare("SELECT position, row FROM candidates WHERE position > ? ORDER BY position")
    .iterate(after)) {
    const c = Candidate.parse(raw);
    if (current && current.position !== c.position) {
      yield current;
      current = undefined;
    }
    current ??= { position: c.position, rows: [] };
    current.rows.push(Fields.parse(JSON.parse(c.row)));
  }
  if (current) yield current;
}

/** Add a position to the last range if it follows it, else open a new one. */
export const extend = (ranges: PositionRange[], position: number): void => {
  const last = ranges.at(-1);
  if (last && last.to === position - 1) last.to = position;
  else ranges.push({ from: position, to: position });
};

/**
 * Positions at or before the backup's head whose row in the damaged file has another
 * hash than the backup's: the backup's row is kept; many of them mean the backup is of
 * another database (and nothing after it will link).
 */
export const differingFromBackup = (salvage: Db, result: Db, head: number): PositionRange[] => {
  const backupHash = result.prepare("SELECT hash FROM events WHERE position = ?").pluck();
  const ranges: PositionRange[] = [];
  for (const raw of salvage
    .prepare(
      `SELECT position, group_concat(json_extract(row, '$[10]'), ' ') AS hashes FROM candidates
       WHERE position <= ? GROUP BY position ORDER BY position`,
    )
    .iterate(head)) {
    const { position, hashes } = z.object({ position: z.number(), hashes: z.string() }).parse(raw);
    const stored = backupHash.get(position);
    if (typeof stored !== "string" || !hashes.split(" ").includes(stored)) extend(ranges, position);
  }
  return ranges;
};

const COLUMNS =
  "position, event_id, stream_id, stream_version, type, schema_version, data, metadata, occurred_at, recorded_at, hash";

/**
 * Append to `result` (a verified backup's copy, whose head is `head`) every candidate
 * after it that links onto the chain, as stored (position, id, times, hash), in position
 * order, and stop at the first position that is missing, does not link or is not a
 * valid event. `end` is the last position the damaged log is known to have reached.
 */
export const appendSalvaged = (
  salvage: Db,
  result: Db,
  head: { position: number; hash: string },
  end: number,
  onProgress?: (p: { done: number; total: number }) => void,
): { salvaged: PositionRange[]; lost: LostRange[] } => {
  const insert = result.prepare(`INSERT INTO events (${COLUMNS}) VALUES (${COLUMNS.replace(/\w+/g, "?")})`);
  const salvaged: PositionRange[] = [];
  const lost: LostRange[] = [];
  let expected = head.position + 1;
  let previous = head.hash;
  const after = (p: number) => (p < end ? `, and positions ${p + 1}..${end} after it cannot be linked` : "");
  result
    .transaction(() => {
      for (const { position, rows } of byPosition(salvage, head.position)) {
        if (position > expected) {
          lost.push({
            from: expected,
            to: position - 1,
            reason: "unreadable",
            message: "no row of theirs could be read from the damaged file",
          });
          lost.push({
            from: position,
            to: end,
            reason: "chain",
            message: `read, but they cannot be linked onto the chain: the events before them are lost`,
          });
          return;
        }
        const linked = rows.find((r) => linkProblem(r, chainHash(previous, r)) === undefined);
        if (!linked) {
          const first = rows[0] ?? [];
          lost.push({
            from: position,
            to: end,
            reason: "chain",
            message: `the event at position ${position} ${linkProblem(first, chainHash(previous, first))}${after(position)}`,
          });
          return;
        }
        const findings: VerifyFinding[] = [];
        checkEvent(linked, position, (f) => findings.push(f));
        if (findings.length) {
          lost.push({
            from: position,
            to: end,
            reason: "schema",
            message: `the event at position ${position} is not valid: ${findings[0]?.message}${after(position)}`,
          });
          return;
        }
        insert.run(linked);
        extend(salvaged, position);
        previous = String(linked[10]);
        expected = position + 1;
        if (position % 1000 === 0) onProgress?.({ done: position - head.position, total: end - head.position });
      }
      if (expected <= end)
        lost.push({
          from: expected,
          to: end,
          reason: "unreadable",
          message: `no row of theirs could be read from the damaged file (its log reached position ${end})`,
        });
    })
    .immediate();
  return { salvaged, lost };
};

/** A scratch database for the candidates: nothing in it needs to survive a crash. */
export const openSalvage = (path: string): Db => {
  const db = openConnection(path, { create: true });
  db.pragma("journal_mode = OFF");
  db.pragma("synchronous = OFF");
  return db;
};
