import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { z } from "zod";
import { type Db, openConnection } from "../db/connection.js";
import { StoreError } from "../db/errors.js";
import { integrityProblems } from "../db/integrity.js";
import { migrationStatus } from "../db/migrations.js";
import { cliCommand } from "../db/paths.js";
import { isSqliteError, messageOf } from "../db/sqliteErrors.js";
import { migrateDatabase } from "../events/backfillChain.js";
import { chainHash, GENESIS_HASH, LOG_GUARDS, linkProblem, shortHash } from "../events/chain.js";
import { streamIdOf } from "../events/prepareEvent.js";
import { EVENT_COLUMNS, fieldsOf, parseEventRow } from "../events/readEvents.js";
import { CLOSING_EVENTS, OPENING_EVENTS } from "../events/schemas.js";

/** What a finding is about: each one names the check that found it. */
export type VerifyCheck =
  | "migrations"
  | "schema"
  | "integrity"
  | "positions"
  | "counter"
  | "chain"
  | "event"
  | "stream"
  | "anchor";

/**
 * One thing verify found wrong: about one event (its position) or about the database (an object).
 * @example { check: "chain", position: 42, message: "the event does not match its stored hash (…)" }
 */
export interface VerifyFinding {
  check: VerifyCheck;
  /** The event the finding is about (the first of them, for a range of missing positions). */
  position?: number;
  /** The schema object or part of the database the finding is about, when it is about no single event. */
  object?: string;
  message: string;
}

/**
 * What verify read and found. `ok` when there is no finding.
 * @example const report = verifyDatabase("data/ai_artist.db"); if (!report.ok) process.exitCode = 1;
 */
export interface VerifyReport {
  path: string;
  ok: boolean;
  /** Events read. */
  events: number;
  /** The newest event and its stored hash (null for an empty log): the anchor to keep elsewhere. */
  head: { position: number; hash: string | null } | null;
  /** The log's AUTOINCREMENT counter (sqlite_sequence), 0 when it has none. */
  counter: number;
  /** The findings, in the order of the checks, up to `maxFindings`. */
  findings: VerifyFinding[];
  /** Findings past `maxFindings`, counted but not listed. */
  omitted: number;
  durationMs: number;
}

/**
 * What verify checks besides the log, where a given anchor must be, and a progress callback.
 * @example verifyDatabase(path, { expectHead: { position: 1042, hash: "3f…" }, integrity: "quick" })
 */
export interface VerifyOptions {
  /** A position and the hash it had when it was noted (a backup prints its head): the log must still hold it. */
  expectHead?: { position: number; hash: string };
  /** integrity_check ("full", the default), quick_check, or none (doctor runs its own). */
  integrity?: "full" | "quick" | "skip";
  /** Findings listed at most (all are counted). Default 1000. */
  maxFindings?: number;
  onProgress?: (progress: { done: number; total: number }) => void;
}

/** Events read per page of the walk: the log streams through, memory stays flat. */
const PAGE_SIZE = 1000;

const LogObjects = z.array(z.object({ type: z.string(), name: z.string(), sql: z.string().nullable() }));
const logObjects = (db: Db) =>
  LogObjects.parse(
    db.prepare(`SELECT type, name, sql FROM sqlite_master WHERE tbl_name = 'events' ORDER BY type, name`).all(),
  );

let migrated: z.output<typeof LogObjects> | undefined;
/** The events table, its indexes and triggers as the migrations create them: a scratch database migrated once per process. */
const migratedLogObjects = () => {
  if (migrated) return migrated;
  const dir = mkdtempSync(join(tmpdir(), "ai-artist-store-verify-"));
  try {
    const path = join(dir, "migrated.db");
    migrateDatabase(path);
    const db = openConnection(path, { readonly: true });
    try {
      migrated = logObjects(db);
    } finally {
      db.close();
    }
    return migrated;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
};

/** Times are stored as Date.toISOString() prints them: anything else sorts wrongly as text. */
const CANONICAL_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
const isCanonicalTime = (t: string) => CANONICAL_TIME.test(t) && new Date(t).toISOString() === t;

// Columns as foreign code may have written them: only the position (the rowid) is sure to be an integer.
const StreamFinding = z.object({
  position: z.number(),
  streamId: z.unknown(),
  version: z.unknown(),
  type: z.unknown(),
  previousType: z.unknown(),
  previousPosition: z.number().nullable(),
});

/** Why an event breaks its stream's rules (versions 1..n in position order, opened first, nothing after a close). */
const streamProblem = (f: z.output<typeof StreamFinding>): string => {
  const where = `${String(f.type)} at version ${String(f.version)} of ${String(f.streamId)}`;
  if (typeof f.version !== "number" || !Number.isInteger(f.version) || f.version < 1)
    return `${where}: the version is not a positive integer`;
  if (f.version === 1) return `${where} does not open a stream, yet it is the stream's first event`;
  if (OPENING_EVENTS.has(String(f.type))) return `${where} opens a stream, so it can only be version 1`;
  if (f.previousPosition === null) return `${where} has no version ${f.version - 1} before it`;
  if (f.previousPosition > f.position)
    return `${where} comes before version ${f.version - 1} (position ${f.previousPosition})`;
  return `${where} follows ${String(f.previousType)} (position ${f.previousPosition}), which closed the stream`;
};

/**
 * Check an open database: migrations, the log's schema objects against a freshly
 * migrated database, integrity, then one walk of the log page by page (flat
 * memory) for gapless positions, the chain and every event against its schema
 * (upcast, as the read path parses it), then the AUTOINCREMENT counter against the
 * head, the streams' rules, and the anchor if one is given. Reads only.
 * @example const report = verifyLog(db, path, { integrity: "skip" });
 */
export const verifyLog = (db: Db, path: string, options: VerifyOptions = {}): VerifyReport => {
  const started = performance.now();
  const max = options.maxFindings ?? 1000;
  const findings: VerifyFinding[] = [];
  let omitted = 0;
  const add = (finding: VerifyFinding) => {
    if (findings.length < max) findings.push(finding);
    else omitted++;
  };
  const report = (events: number, head: VerifyReport["head"], counter: number): VerifyReport => ({
    path,
    ok: findings.length + omitted === 0,
    events,
    head,
    counter,
    findings,
    omitted,
    durationMs: performance.now() - started,
  });

  const migrations = migrationStatus(db);
  const current = migrations.applied.length > 0 && migrations.pending.length + migrations.unknown.length === 0;
  if (migrations.pending.length)
    add({
      check: "migrations",
      object: "schema_migrations",
      message: `${migrations.pending.length} pending migration(s) (${migrations.pending.join(", ")}): run \`${cliCommand("migrate", path)}\``,
    });
  if (migrations.unknown.length)
    add({
      check: "migrations",
      object: "schema_migrations",
      message: `migrations unknown to this code (${migrations.unknown.join(", ")}): the database is newer than the code`,
    });

  const actual = logObjects(db);
  if (!actual.some((o) => o.type === "table" && o.name === "events")) {
    add({ check: "schema", object: "table events", message: "the event log (table events) is missing" });
    checkIntegrity(db, options, add);
    return report(0, null, 0);
  }
  // Against another schema version the differences would only repeat the pending migrations.
  if (current) compareSchema(actual, migratedLogObjects(), add);
  checkIntegrity(db, options, add);
  const hasHash = db.prepare(`SELECT 1 FROM pragma_table_info('events') WHERE name = 'hash'`).get() !== undefined;

  // One read transaction: the walk, the head, the counter and the streams all come from one snapshot.
  const walk = db.transaction(() => {
    const headRow = z
      .object({ position: z.number(), hash: z.string().nullable() })
      .optional()
      .parse(
        db
          .prepare(`SELECT position, ${hasHash ? "hash" : "NULL AS hash"} FROM events ORDER BY position DESC LIMIT 1`)
          .get(),
      );
    const head = headRow ?? null;
    const hasSequence = db.prepare(`SELECT 1 FROM sqlite_master WHERE name = 'sqlite_sequence'`).get() !== undefined;
    const counter = hasSequence
      ? z
          .number()
          .int()
          .parse(db.prepare(`SELECT coalesce(max(seq), 0) FROM sqlite_sequence WHERE name = 'events'`).pluck().get())
      : 0;
    const page = db
      .prepare(
        `SELECT ${EVENT_COLUMNS}, ${hasHash ? "hash" : "NULL"} FROM events WHERE position > ? ORDER BY position LIMIT ?`,
      )
      .raw();
    let events = 0;
    let expected = 1;
    let previous = GENESIS_HASH;
    let after = 0;
    for (;;) {
      const rows = page.all(after, PAGE_SIZE);
      for (const raw of rows) {
        const row = fieldsOf(raw);
        const position = z.number().int().parse(row[0]);
        if (position > expected)
          add({
            check: "positions",
            position: expected,
            message:
              position - 1 === expected
                ? `position ${expected} is missing (a gap before ${position})`
                : `positions ${expected}..${position - 1} are missing (a gap before ${position})`,
          });
        expected = position + 1;
        if (hasHash) {
          const computed = chainHash(previous, row);
          const problem = linkProblem(row, computed);
          if (problem) add({ check: "chain", position, message: `the event ${problem}` });
          previous = typeof row[10] === "string" ? row[10] : computed;
        }
        checkEvent(row, position, add);
        events++;
        after = position;
      }
      options.onProgress?.({ done: events, total: Math.max(events, head?.position ?? 0) });
      if (rows.length < PAGE_SIZE) break;
    }
    const headPosition = head?.position ?? 0;
    if (counter !== headPosition)
      add({
        check: "counter",
        object: "sqlite_sequence",
        message:
          `the log's AUTOINCREMENT counter is ${counter}, its newest event is at position ${headPosition}: ` +
          (counter > headPosition
            ? `positions ${headPosition + 1}..${counter} were given to events no longer in the log, or the counter was moved ` +
              `(the next append would take position ${counter + 1}, leaving a gap)`
            : "the counter was moved back (a later append would collide with a position in use)"),
      });
    checkStreams(db, add);
    if (options.expectHead) checkAnchor(db, hasHash, options.expectHead, add);
    return { events, head, counter };
  });
  try {
    const { events, head, counter } = walk();
    return report(events, head, counter);
  } catch (e) {
    // A log too damaged, or too foreign, to be read to its end is a finding, not a crash.
    const corrupt = isSqliteError(e, "SQLITE_CORRUPT") || isSqliteError(e, "SQLITE_NOTADB");
    if (!corrupt && !isSqliteError(e, "SQLITE_ERROR")) throw e;
    add({
      check: corrupt ? "integrity" : "schema",
      object: "table events",
      message: `the log cannot be read to its end: ${messageOf(e)}`,
    });
    return report(0, null, 0);
  }
};

/**
 * verifyLog on a database file, through a connection of its own.
 * @example const { ok, findings } = verifyDatabase("data/ai_artist.db");
 */
export const verifyDatabase = (path: string, options: VerifyOptions = {}): VerifyReport => {
  if (!existsSync(path))
    throw new StoreError("SCHEMA_MISSING", `database ${path} does not exist: nothing to verify`, { path });
  const db = openConnection(path);
  try {
    return verifyLog(db, path, options);
  } finally {
    db.close();
  }
};

/**
 * One line per finding: where, which check, what.
 * @example formatFinding({ check: "counter", object: "sqlite_sequence", message: "…" }) // "sqlite_sequence [counter]: …"
 */
export const formatFinding = (f: VerifyFinding): string =>
  `${f.position !== undefined ? `position ${f.position}` : (f.object ?? "database")} [${f.check}]: ${f.message}`;

const compareSchema = (
  actual: z.output<typeof LogObjects>,
  expected: z.output<typeof LogObjects>,
  add: (f: VerifyFinding) => void,
) => {
  const key = (o: { type: string; name: string }) => `${o.type} ${o.name}`;
  const present = new Map(actual.map((o) => [key(o), o]));
  const wanted = new Map(expected.map((o) => [key(o), o]));
  for (const [object, o] of wanted) {
    const found = present.get(object);
    const guard = (LOG_GUARDS as readonly string[]).includes(o.name)
      ? " (a guard of the log: appends are refused)"
      : "";
    if (!found) add({ check: "schema", object, message: `${object} is missing: the migrations create it${guard}` });
    else if (found.sql !== o.sql)
      add({
        check: "schema",
        object,
        message: `${object} is not as the migrations define it (its SQL differs)${guard}`,
      });
  }
  for (const object of present.keys())
    if (!wanted.has(object))
      add({ check: "schema", object, message: `${object} on the log is not one the migrations create` });
};

const checkIntegrity = (db: Db, options: VerifyOptions, add: (f: VerifyFinding) => void) => {
  const mode = options.integrity ?? "full";
  if (mode === "skip") return;
  for (const problem of integrityProblems(db, { quick: mode === "quick" }))
    add({ check: "integrity", object: mode === "quick" ? "quick_check" : "integrity_check", message: problem });
};

/** The event as the read path parses it (envelope, schema, upcast), then what the append path guarantees of it. */
const checkEvent = (row: readonly unknown[], position: number, add: (f: VerifyFinding) => void) => {
  let event: ReturnType<typeof parseEventRow>;
  try {
    event = parseEventRow(row);
  } catch (e) {
    if (!(e instanceof StoreError)) throw e;
    add({ check: "event", position, message: e.message });
    return;
  }
  const stream = streamIdOf(event.data);
  if (stream !== event.streamId)
    add({
      check: "event",
      position,
      message: `stream id ${JSON.stringify(event.streamId)} does not match its data, which names ${JSON.stringify(stream)}`,
    });
  for (const [column, time] of [
    ["occurred_at", event.occurredAt],
    ["recorded_at", event.recordedAt],
  ] as const)
    if (!isCanonicalTime(time))
      add({
        check: "event",
        position,
        message: `${column} ${JSON.stringify(time)} is not a UTC time as the store writes it (2026-01-08T12:00:00.000Z)`,
      });
};

/** Streams' rules, found by SQL over the (stream_id, stream_version) index: nothing held per stream in memory. */
const checkStreams = (db: Db, add: (f: VerifyFinding) => void) => {
  const rows = db
    .prepare(
      `SELECT e.position, e.stream_id AS streamId, e.stream_version AS version, e.type,
              p.type AS previousType, p.position AS previousPosition
       FROM events e LEFT JOIN events p ON p.stream_id = e.stream_id AND p.stream_version = e.stream_version - 1
       WHERE (e.stream_version = 1) <> (e.type IN (SELECT value FROM json_each(@opening)))
          OR (e.stream_version > 1 AND (p.position IS NULL OR p.position > e.position
              OR p.type IN (SELECT value FROM json_each(@closing))))
       ORDER BY e.position`,
    )
    .iterate({ opening: JSON.stringify([...OPENING_EVENTS]), closing: JSON.stringify([...CLOSING_EVENTS]) });
  for (const row of rows) {
    const f = StreamFinding.parse(row);
    add({ check: "stream", position: f.position, message: streamProblem(f) });
  }
};

const checkAnchor = (
  db: Db,
  hasHash: boolean,
  anchor: { position: number; hash: string },
  add: (f: VerifyFinding) => void,
) => {
  const stored: unknown = db
    .prepare(`SELECT ${hasHash ? "hash" : "NULL"} FROM events WHERE position = ?`)
    .pluck()
    .get(anchor.position);
  const object = `anchor ${anchor.position}:${shortHash(anchor.hash)}`;
  if (stored === undefined)
    add({
      check: "anchor",
      position: anchor.position,
      object,
      message: `the anchor's position ${anchor.position} is not in the log: events were removed since the anchor was noted`,
    });
  else if (stored !== anchor.hash)
    add({
      check: "anchor",
      position: anchor.position,
      object,
      message:
        `the event at position ${anchor.position} has hash ${shortHash(stored)}, the anchor says ${shortHash(anchor.hash)}: ` +
        "the log up to there was rewritten since the anchor was noted",
    });
};
