// What storing the log's payloads as SQLite's JSONB (SQLite >= 3.45) would buy or cost, measured on a
// copy of a log (scripts/bench/huge.ts runs it on its 1,000,000-event copy). Measured only: the store
// keeps payloads as text, whose exact bytes the chain hashes.
import { z } from "zod";
import { type Db, openConnection } from "../../src/db/connection.js";
import { measure, median } from "./support.js";

export interface JsonbFigures {
  sqliteVersion: string;
  /** json() and jsonb() with JSONB storage exist from 3.45 on. */
  supported: boolean;
  events: number;
  /** Payload bytes (the `data` column) per event, as text and as JSONB. */
  textPayloadBytesPerEvent: number;
  jsonbPayloadBytesPerEvent: number;
  /** The log table's b-tree (every column, the payload one way or the other) per event. */
  textLogBytesPerEvent: number;
  jsonbLogBytesPerEvent: number;
  /** CPU per event of inserting the payload: text under the store's CHECK (json_valid(data)), and jsonb(?). */
  insertTextCpuUs: number;
  insertJsonbCpuUs: number;
  insertCpuRatio: number;
  /** CPU per event of the replay path's read: SELECT data then JSON.parse, against SELECT json(data) then JSON.parse. */
  readTextCpuUs: number;
  readJsonbCpuUs: number;
  readCpuRatio: number;
  /** Payloads whose json(jsonb(data)) is not byte for byte the stored text (the chain hashes that text). */
  roundTripMismatches: number;
  roundTripExact: boolean;
  roundTripExample: string | null;
}

const Row = z.object({ position: z.number(), data: z.string() });
const Bytes = z.object({ name: z.string(), bytes: z.number() });
const Mismatch = z.object({ data: z.string(), back: z.string() });

/** Bytes of each b-tree named, by the dbstat virtual table. */
const btreeBytes = (db: Db, names: readonly string[]): Map<string, number> =>
  new Map(
    db
      .prepare(
        `SELECT name, sum(pgsize) AS bytes FROM dbstat WHERE name IN (${names.map(() => "?").join(", ")}) GROUP BY name`,
      )
      .all(...names)
      .map((r) => {
        const { name, bytes } = Bytes.parse(r);
        return [name, bytes];
      }),
  );

/** Insert every payload of the log, 1,000 per transaction, into `table` through `insertSql`; CPU seconds. */
const insertAll = (db: Db, table: string, createSql: string, insertSql: string, events: number): number => {
  db.exec(`DROP TABLE IF EXISTS ${table}; ${createSql}`);
  const read = db.prepare("SELECT position, data FROM events WHERE position > ? ORDER BY position LIMIT 1000");
  const insert = db.prepare(insertSql);
  const write = db.transaction((rows: { position: number; data: string }[]) => {
    for (const r of rows) insert.run(r.position, r.data);
  });
  let cpu = 0;
  let after = 0;
  for (let done = 0; done < events; ) {
    const rows = read.all(after).map((r) => Row.parse(r));
    const last = rows.at(-1);
    if (!last) break;
    cpu += measure(() => write.immediate(rows)).cpu;
    after = last.position;
    done += rows.length;
  }
  return cpu;
};

/** Read every payload back as the replay does (ordered by position, parsed); CPU seconds. */
const readAll = (db: Db, sql: string): number =>
  measure(() => {
    for (const text of db.prepare(sql).pluck().iterate()) JSON.parse(String(text));
  }).cpu;

/** The JSONB figures on the log of the database at `path`, which this changes (tables added): give it a copy. */
export const measureJsonb = (path: string, rounds = 3): JsonbFigures => {
  const db = openConnection(path);
  try {
    const sqliteVersion = String(db.prepare("SELECT sqlite_version()").pluck().get());
    const [major = 0, minor = 0] = sqliteVersion.split(".").map(Number);
    const supported = major > 3 || (major === 3 && minor >= 45);
    const events = Number(db.prepare("SELECT count(*) FROM events").pluck().get());
    const empty = {
      sqliteVersion,
      supported,
      events,
      textPayloadBytesPerEvent: Number.NaN,
      jsonbPayloadBytesPerEvent: Number.NaN,
      textLogBytesPerEvent: Number.NaN,
      jsonbLogBytesPerEvent: Number.NaN,
      insertTextCpuUs: Number.NaN,
      insertJsonbCpuUs: Number.NaN,
      insertCpuRatio: Number.NaN,
      readTextCpuUs: Number.NaN,
      readJsonbCpuUs: Number.NaN,
      readCpuRatio: Number.NaN,
      roundTripMismatches: Number.NaN,
      roundTripExact: false,
      roundTripExample: null,
    };
    if (!supported || events === 0) return empty;

    const payload = z
      .object({ text: z.number(), jsonb: z.number() })
      .parse(
        db
          .prepare("SELECT sum(length(CAST(data AS BLOB))) AS text, sum(length(jsonb(data))) AS jsonb FROM events")
          .get(),
      );
    const mismatches = Number(
      db.prepare("SELECT count(*) FROM events WHERE json(jsonb(data)) IS NOT data").pluck().get(),
    );
    const example = db
      .prepare("SELECT data, json(jsonb(data)) AS back FROM events WHERE json(jsonb(data)) IS NOT data LIMIT 1")
      .get();

    // The log's own table twice, every column copied, the payload as it is and as JSONB.
    const columns =
      "position INTEGER PRIMARY KEY, event_id TEXT NOT NULL, stream_id TEXT NOT NULL, stream_version INTEGER NOT NULL, " +
      "type TEXT NOT NULL, schema_version INTEGER NOT NULL, data %s NOT NULL, metadata TEXT NOT NULL, " +
      "occurred_at TEXT NOT NULL, recorded_at TEXT NOT NULL, hash TEXT";
    const copy =
      "SELECT position, event_id, stream_id, stream_version, type, schema_version, %s, metadata, occurred_at, recorded_at, hash FROM events";
    db.exec(`CREATE TABLE bench_log_text (${columns.replace("%s", "TEXT")});
      INSERT INTO bench_log_text ${copy.replace("%s", "data")};
      CREATE TABLE bench_log_jsonb (${columns.replace("%s", "BLOB")});
      INSERT INTO bench_log_jsonb ${copy.replace("%s", "jsonb(data)")};`);
    const logBytes = btreeBytes(db, ["bench_log_text", "bench_log_jsonb"]);
    db.exec("DROP TABLE bench_log_text; DROP TABLE bench_log_jsonb;");

    // Insert and read, alternating text and JSONB each round; medians of the rounds.
    const insertText: number[] = [];
    const insertJsonb: number[] = [];
    const readText: number[] = [];
    const readJsonb: number[] = [];
    for (let r = 0; r < rounds; r++) {
      insertText.push(
        insertAll(
          db,
          "bench_text",
          "CREATE TABLE bench_text (position INTEGER PRIMARY KEY, data TEXT NOT NULL CHECK (json_valid(data)))",
          "INSERT INTO bench_text (position, data) VALUES (?, ?)",
          events,
        ),
      );
      insertJsonb.push(
        insertAll(
          db,
          "bench_jsonb",
          "CREATE TABLE bench_jsonb (position INTEGER PRIMARY KEY, data BLOB NOT NULL)",
          "INSERT INTO bench_jsonb (position, data) VALUES (?, jsonb(?))",
          events,
        ),
      );
      readText.push(readAll(db, "SELECT data FROM bench_text ORDER BY position"));
      readJsonb.push(readAll(db, "SELECT json(data) FROM bench_jsonb ORDER BY position"));
    }
    db.exec("DROP TABLE bench_text; DROP TABLE bench_jsonb;");
    const us = (xs: number[]) => (median(xs) * 1e6) / events;
    const mismatch = example === undefined ? undefined : Mismatch.parse(example);
    return {
      ...empty,
      textPayloadBytesPerEvent: payload.text / events,
      jsonbPayloadBytesPerEvent: payload.jsonb / events,
      textLogBytesPerEvent: (logBytes.get("bench_log_text") ?? Number.NaN) / events,
      jsonbLogBytesPerEvent: (logBytes.get("bench_log_jsonb") ?? Number.NaN) / events,
      insertTextCpuUs: us(insertText),
      insertJsonbCpuUs: us(insertJsonb),
      insertCpuRatio: median(insertJsonb) / median(insertText),
      readTextCpuUs: us(readText),
      readJsonbCpuUs: us(readJsonb),
      readCpuRatio: median(readJsonb) / median(readText),
      roundTripMismatches: mismatches,
      roundTripExact: mismatches === 0,
      roundTripExample: mismatch ? `${mismatch.data.slice(0, 200)} -> ${mismatch.back.slice(0, 200)}` : null,
    };
  } finally {
    db.close();
  }
};
