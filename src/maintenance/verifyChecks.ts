import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { z } from "zod";
import { type Db, openConnection } from "../db/connection.js";
import { StoreError } from "../db/errors.js";
import { integrityProblems } from "../db/integrity.js";
import { migrateDatabase } from "../events/backfillChain.js";
import { LOG_GUARDS, shortHash } from "../events/chain.js";
import { streamIdOf } from "../events/prepareEvent.js";
import { parseEventRow } from "../events/readEvents.js";
import { CLOSING_EVENTS, OPENING_EVENTS } from "../events/schemas.js";

// The checks of verify (src/maintenance/verify.ts) other than its walk of the chain, one function each.

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

/** Where a check puts what it finds. */
export type AddFinding = (finding: VerifyFinding) => void;

export const LogObjects = z.array(z.object({ type: z.string(), name: z.string(), sql: z.string().nullable() }));
export const logObjects = (db: Db) =>
  LogObjects.parse(
    db.prepare(`SELECT type, name, sql FROM sqlite_master WHERE tbl_name = 'events' ORDER BY type, name`).all(),
  );

let migrated: z.output<typeof LogObjects> | undefined;
/** The events table, its indexes and triggers as the migrations create them: a scratch database migrated once per process. */
export const migratedLogObjects = () => {
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

export const compareSchema = (
  actual: z.output<typeof LogObjects>,
  expected: z.output<typeof LogObjects>,
  add: AddFinding,
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

export const checkIntegrity = (db: Db, mode: "full" | "quick" | "skip", add: AddFinding) => {
  if (mode === "skip") return;
  for (const problem of integrityProblems(db, { quick: mode === "quick" }))
    add({ check: "integrity", object: mode === "quick" ? "quick_check" : "integrity_check", message: problem });
};

/** The event as the read path parses it (envelope, schema, upcast), then what the append path guarantees of it. */
export const checkEvent = (row: readonly unknown[], position: number, add: AddFinding) => {
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
export const checkStreams = (db: Db, add: AddFinding) => {
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

export const checkAnchor = (db: Db, hasHash: boolean, anchor: { position: number; hash: string }, add: AddFinding) => {
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
