import { spawnSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { type Db, openConnection } from "../../src/db/connection.js";
import { integrityProblems } from "../../src/db/integrity.js";
import { openStore } from "../../src/index.js";
import { diagnose } from "../../src/maintenance/doctor.js";
import { formatFinding, verifyDatabase } from "../../src/maintenance/verify.js";
import { auditProjections, rebuildProjections } from "../../src/operations.js";
import { expectStoreError, insertChained } from "../support.js";
import { canonicalDump, migratedDb, processTempDir, recordFigures, sha256, stateHash } from "./support.js";

/**
 * Tampering with the log: whoever holds a connection (the store's, another
 * program's, the sqlite3 shell) cannot rewrite or remove an event. Every attempt
 * aborts with the append-only trigger's message and the log is unchanged.
 */
const figures = {
  statementsRefused: 0,
  throughSqlite3Shell: 0,
  projectionRowsTamperedFoundAndRepaired: 0,
  redTeamCasesFound: 0,
};
afterAll(() => recordFigures("tampering", figures));

// With a hash, so that what refuses these inserts is the replace guard, not events_chained.
const EVENT_COLUMNS = "event_id, stream_id, stream_version, type, schema_version, data, occurred_at, recorded_at, hash";
const forged = (eventId: string, stream: string, version: number) =>
  `'${eventId}', '${stream}', ${version}, 'ImageGenerated', 1, ` +
  `'{"filename":"base.png","prompt":"forged","modelId":"m"}', '2026-01-01T00:00:00.000Z', '2026-01-01T00:00:00.000Z', ` +
  `'${"f".repeat(64)}'`;

const TAMPERING: { name: string; sql: string; message: RegExp }[] = [
  {
    name: "UPDATE of an event's data",
    sql: `UPDATE events SET data = '{"filename":"base.png","prompt":"forged","modelId":"m"}' WHERE position = 1`,
    message: /events is append-only: UPDATE is not allowed/,
  },
  {
    name: "UPDATE of an event's type",
    sql: `UPDATE events SET type = 'ImageCurated' WHERE position = 2`,
    message: /UPDATE is not allowed/,
  },
  { name: "UPDATE of positions", sql: `UPDATE events SET position = position + 100`, message: /UPDATE is not allowed/ },
  {
    name: "UPDATE of a time",
    sql: `UPDATE events SET occurred_at = '1999-01-01T00:00:00.000Z'`,
    message: /UPDATE is not allowed/,
  },
  {
    name: "UPDATE OR REPLACE",
    sql: `UPDATE OR REPLACE events SET stream_version = 1 WHERE position = 2`,
    message: /UPDATE is not allowed/,
  },
  {
    name: "DELETE of one event",
    sql: `DELETE FROM events WHERE position = 2`,
    message: /events is append-only: DELETE is not allowed/,
  },
  { name: "DELETE of the whole log", sql: `DELETE FROM events`, message: /DELETE is not allowed/ },
  {
    name: "DELETE of the newest event",
    sql: `DELETE FROM events WHERE position = (SELECT max(position) FROM events)`,
    message: /DELETE is not allowed/,
  },
  {
    name: "INSERT OR REPLACE over a position",
    sql: `INSERT OR REPLACE INTO events (position, ${EVENT_COLUMNS}) VALUES (1, ${forged("forged-1", "image:forged.png", 1)})`,
    message: /an insert may not replace an existing event/,
  },
  {
    name: "INSERT OR REPLACE over an event id",
    sql: `INSERT OR REPLACE INTO events (${EVENT_COLUMNS}) VALUES (${forged("evt-base", "image:forged.png", 1)})`,
    message: /an insert may not replace an existing event/,
  },
  {
    name: "REPLACE INTO over a stream version",
    sql: `REPLACE INTO events (${EVENT_COLUMNS}) VALUES (${forged("forged-2", "image:base.png", 1)})`,
    message: /an insert may not replace an existing event/,
  },
  {
    name: "an upsert that rewrites on conflict",
    sql: `INSERT INTO events (${EVENT_COLUMNS}) VALUES (${forged("evt-base", "image:base.png", 1)}) ON CONFLICT (event_id) DO UPDATE SET data = excluded.data`,
    message: /an insert may not replace an existing event|UPDATE is not allowed/,
  },
  {
    name: "INSERT OR IGNORE of a duplicate",
    sql: `INSERT OR IGNORE INTO events (${EVENT_COLUMNS}) VALUES (${forged("evt-base", "image:base.png", 1)})`,
    message: /an insert may not replace an existing event/,
  },
];

describe("tampering with the log", () => {
  let path: string;
  let tamperer: Db;
  beforeAll(() => {
    path = migratedDb(processTempDir());
    const store = openStore({ url: path });
    store.append([
      { type: "ImageGenerated", id: "evt-base", data: { filename: "base.png", prompt: "base", modelId: "m" } },
      { type: "ImageCurated", data: { filename: "base.png", status: "curated", finalScore: 8 } },
      { type: "BatchStarted", data: { batchId: "b1" } },
    ]);
    store.close();
    // Another program's connection, not the store's: the guard lives in the schema, not in the code.
    tamperer = openConnection(path);
  });
  afterAll(() => tamperer.close());

  it.each(TAMPERING)("$name aborts and leaves the log as it was", ({ sql, message }) => {
    const before = stateHash(path);
    expect(() => tamperer.prepare(sql).run()).toThrow(message);
    expect(stateHash(path)).toBe(before);
    figures.statementsRefused++;
  });

  it.each(
    TAMPERING.filter((t) =>
      /DELETE of the whole log|UPDATE of an event's data|INSERT OR REPLACE over an event id/.test(t.name),
    ),
  )("$name through the sqlite3 shell aborts too", ({ sql, message }) => {
    const before = stateHash(path);
    const shell = spawnSync("sqlite3", [path, sql], { encoding: "utf8" });
    expect(shell.error).toBeUndefined();
    expect(shell.status).not.toBe(0);
    expect(shell.stderr).toMatch(message);
    expect(stateHash(path)).toBe(before);
    figures.throughSqlite3Shell++;
  });

  it("leaves a store that still appends after every attempt", () => {
    const store = openStore({ url: path });
    expect(store.emit.imageCurated({ filename: "base.png", status: "rejected" }, { expectedVersion: 2 })).toMatchObject(
      { position: 4, streamVersion: 3 },
    );
    store.close();
  });
});

describe("tampering with the projection tables", () => {
  it("is found by audit, row by row, and repaired by a rebuild", () => {
    const store = openStore({ url: migratedDb(processTempDir()) });
    store.append([
      { type: "ImageGenerated", data: { filename: "base.png", prompt: "base", modelId: "m" } },
      { type: "ImageCurated", data: { filename: "base.png", status: "curated", finalScore: 8 } },
      { type: "ImageGenerated", data: { filename: "gone.png", prompt: "gone", modelId: "m" } },
      { type: "TrainingStarted", data: { runId: "run-1", name: "run-1", modelPath: "m.safetensors" } },
      { type: "BatchStarted", data: { batchId: "b1", theme: "forests" } },
    ]);
    const tables = ["generated_images", "training_sessions", "creation_sessions", "sqlite_sequence"];
    const clean = sha256(canonicalDump(store.db, tables));
    expect(auditProjections(store).ok).toBe(true);

    // By hand, as an operator with the sqlite3 shell might: a score raised, a row removed, a row invented.
    store.db.exec(`
      UPDATE generated_images SET final_score = 9.9, is_featured = 1 WHERE filename = 'base.png';
      DELETE FROM generated_images WHERE filename = 'gone.png';
      INSERT INTO creation_sessions (batch_id, theme, started_at, updated_at) VALUES ('invented', 'x', '2026-01-01T00:00:00.000Z', '2026-01-01T00:00:00.000Z');
      UPDATE training_sessions SET status = 'completed' WHERE run_id = 'run-1';
    `);
    const audit = auditProjections(store);
    expect(audit.ok).toBe(false);
    const drift = Object.fromEntries(audit.tables.map((t) => [t.table, t]));
    expect(drift.generated_images?.differing).toEqual([
      {
        key: { id: 1 },
        columns: [
          { column: "final_score", live: 9.9, replayed: 8 },
          { column: "is_featured", live: 1, replayed: 0 },
        ],
      },
    ]);
    expect(drift.generated_images?.missing).toEqual([expect.objectContaining({ id: 2, filename: "gone.png" })]);
    expect(drift.creation_sessions?.extra).toEqual([expect.objectContaining({ batch_id: "invented" })]);
    expect(drift.training_sessions?.differing).toEqual([
      { key: { id: 1 }, columns: [{ column: "status", live: "completed", replayed: "running" }] },
    ]);

    rebuildProjections(store);
    expect(auditProjections(store).ok).toBe(true);
    expect(sha256(canonicalDump(store.db, tables))).toBe(clean);
    store.close();
    figures.projectionRowsTamperedFoundAndRepaired = 4;
  });
});

/**
 * The red-team cases of issue 11: each change to the log that SQLite's own checks
 * pass is found by verify (naming the position or the object), doctor is not
 * healthy, and rebuild and audit refuse to adopt the event instead of deriving the
 * tables from it.
 */
describe("tampering that integrity_check passes", () => {
  const T = "2026-01-08T12:00:00.000Z";
  /** A batch with one curated image: 1 BatchStarted, 2 ImageGenerated, 3 ImageCurated (5.21), 4 BatchFinished. */
  const curatedBatch = (): string => {
    const path = migratedDb(processTempDir());
    const store = openStore({ url: path });
    store.append([
      { type: "BatchStarted", data: { batchId: "b1", theme: "forests" }, occurredAt: T },
      { type: "ImageGenerated", data: { filename: "a.png", prompt: "a fox", modelId: "sdxl" }, occurredAt: T },
      { type: "ImageCurated", data: { filename: "a.png", status: "curated", finalScore: 5.21 }, occurredAt: T },
      { type: "BatchFinished", data: { batchId: "b1", imagesCreated: 1, imagesKept: 1 }, occurredAt: T },
    ]);
    store.close();
    return path;
  };

  /** Run `sql` with the log's triggers dropped, then re-create them exactly as they were. */
  const withoutTriggers = (path: string, sql: string) => {
    const db = openConnection(path);
    try {
      const triggers = z
        .array(z.object({ name: z.string(), sql: z.string() }))
        .parse(db.prepare("SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'events'").all());
      for (const t of triggers) db.exec(`DROP TRIGGER ${t.name}`);
      db.exec(sql);
      for (const t of triggers) db.exec(t.sql);
    } finally {
      db.close();
    }
  };

  const findings = (path: string) => verifyDatabase(path).findings.map(formatFinding);
  const doctorProblems = (path: string) => diagnose(path).problems;
  const tables = (path: string) => {
    const db = openConnection(path);
    try {
      return canonicalDump(db, ["generated_images", "creation_sessions", "quality_tiers"]);
    } finally {
      db.close();
    }
  };
  /** rebuild and audit both stop at `position`, and the tables are as they were. */
  const expectReplaysRefuse = (path: string, position: number) => {
    const before = tables(path);
    const store = openStore({ url: path, stale: "ignore" });
    try {
      const stop = new RegExp(`event at position ${position} breaks the log's chain`);
      expectStoreError(() => rebuildProjections(store), "CORRUPT_LOG", stop);
      expectStoreError(() => auditProjections(store), "CORRUPT_LOG", stop);
    } finally {
      store.close();
    }
    expect(tables(path)).toBe(before);
  };
  const integrityOk = (path: string) => {
    const db = openConnection(path);
    try {
      return integrityProblems(db);
    } finally {
      db.close();
    }
  };

  it("a digit flipped inside a stored event (5.21 -> 9.21, triggers dropped and re-created) is found at its position", () => {
    const path = curatedBatch();
    expect(findings(path)).toEqual([]);
    withoutTriggers(path, `UPDATE events SET data = replace(data, '5.21', '9.21') WHERE position = 3`);
    expect(integrityOk(path)).toEqual([]);
    expect(findings(path)).toEqual([
      expect.stringMatching(/^position 3 \[chain\]: the event does not match its stored hash/),
    ]);
    expect(doctorProblems(path)).toContainEqual(expect.stringMatching(/^log: position 3 \[chain\]/));
    expectReplaysRefuse(path, 3);
    figures.redTeamCasesFound++;
  });

  it("a digit flipped by writing the file itself is found at its position", () => {
    const path = curatedBatch();
    const db = openConnection(path);
    db.pragma("wal_checkpoint(TRUNCATE)");
    db.close();
    const bytes = readFileSync(path);
    const at = bytes.indexOf('"finalScore":5.21');
    expect(at).toBeGreaterThan(0);
    bytes.write('"finalScore":9.21', at);
    writeFileSync(path, bytes);
    expect(integrityOk(path)).toEqual([]);
    expect(findings(path)).toEqual([
      expect.stringMatching(/^position 3 \[chain\]: the event does not match its stored hash/),
    ]);
    expect(doctorProblems(path)).toContainEqual(expect.stringMatching(/^log: position 3 \[chain\]/));
    expectReplaysRefuse(path, 3);
    figures.redTeamCasesFound++;
  });

  const FOREIGN = "event_id, stream_id, stream_version, type, schema_version, data, metadata, occurred_at, recorded_at";
  const foreignInserts: { name: string; values: string; finding: RegExp }[] = [
    {
      name: "a version on a closed batch",
      values: `'f-1', 'batch:b1', 3, 'BatchFinished', 1, '{"batchId":"b1","imagesCreated":9,"imagesKept":9}', '{}', '${T}', '${T}'`,
      finding:
        /^position 5 \[stream\]: BatchFinished at version 3 of batch:b1 follows BatchFinished \(position 4\), which closed the stream/,
    },
    {
      name: "occurred_at = 'yesterday'",
      values: `'f-2', 'image:a.png', 3, 'ImageCurated', 2, '{"filename":"a.png","status":"rejected"}', '{}', 'yesterday', '${T}'`,
      finding: /^position 5 \[event\]: occurred_at "yesterday" is not a UTC time as the store writes it/,
    },
    {
      name: "a stream id that does not match its data",
      values: `'f-3', 'image:a.png', 3, 'ImageCurated', 2, '{"filename":"b.png","status":"rejected"}', '{}', '${T}', '${T}'`,
      finding: /^position 5 \[event\]: stream id "image:a.png" does not match its data, which names "image:b.png"/,
    },
  ];

  it.each(foreignInserts)("a foreign INSERT ($name) without a hash is refused by the log", ({ values }) => {
    const path = curatedBatch();
    const db = openConnection(path);
    try {
      expect(() => db.exec(`INSERT INTO events (${FOREIGN}) VALUES (${values})`)).toThrow(
        /events is chained: an insert must carry its hash/,
      );
    } finally {
      db.close();
    }
    expect(findings(path)).toEqual([]);
  });

  it.each(foreignInserts)(
    "a foreign INSERT ($name) with a made-up hash is found, and rebuild and audit refuse it",
    ({ values, finding }) => {
      const path = curatedBatch();
      const db = openConnection(path);
      db.exec(`INSERT INTO events (${FOREIGN}, hash) VALUES (${values}, '${"f".repeat(64)}')`);
      db.close();
      const found = findings(path);
      expect(found).toContainEqual(
        expect.stringMatching(/^position 5 \[chain\]: the event does not match its stored hash/),
      );
      expect(found).toContainEqual(expect.stringMatching(finding));
      expect(doctorProblems(path)).toContainEqual(expect.stringMatching(/^log: position 5 \[chain\]/));
      expectReplaysRefuse(path, 5);
      figures.redTeamCasesFound++;
    },
  );

  it.each(foreignInserts)(
    "a foreign INSERT ($name) whose hash extends the chain is still found by what it says",
    ({ values, finding }) => {
      const path = curatedBatch();
      const db = openConnection(path);
      insertChained(db, `INSERT INTO events (${FOREIGN}) VALUES (${values})`);
      db.close();
      const found = findings(path);
      expect(found).toEqual([expect.stringMatching(finding)]);
      expect(doctorProblems(path)).toContainEqual(expect.stringMatching(/^log: position 5 \[(stream|event)\]/));
    },
  );

  it("the three append-only triggers dropped: each is named, doctor is not healthy, and the store refuses to append", () => {
    const path = curatedBatch();
    const db = openConnection(path);
    db.exec("DROP TRIGGER events_no_update; DROP TRIGGER events_no_delete; DROP TRIGGER events_no_replace;");
    db.close();
    const found = findings(path);
    for (const name of ["events_no_update", "events_no_delete", "events_no_replace"])
      expect(found).toContainEqual(
        `trigger ${name} [schema]: trigger ${name} is missing: the migrations create it (a guard of the log: appends are refused)`,
      );
    expect(found).toHaveLength(3);
    expect(doctorProblems(path)).toContainEqual(expect.stringMatching(/^log: trigger events_no_delete \[schema\]/));
    const store = openStore({ url: path });
    try {
      expectStoreError(
        () => store.emit.batchStarted({ batchId: "b2" }),
        "LOG_UNGUARDED",
        new RegExp(
          "has lost its guard trigger\\(s\\) events_no_update, events_no_delete, events_no_replace: " +
            "appends are refused \\(reading still works\\); run `npx artist-store verify --db [^`]+`",
        ),
      );
      expect(store.readAll().events).toHaveLength(4);
    } finally {
      store.close();
    }
    expect(findings(path)).toHaveLength(3);
    figures.redTeamCasesFound++;
  });

  it("the AUTOINCREMENT counter moved (seq = 10000) is named with the gap it would leave", () => {
    const path = curatedBatch();
    const db = openConnection(path);
    db.exec("UPDATE sqlite_sequence SET seq = 10000 WHERE name = 'events'");
    db.close();
    expect(findings(path)).toEqual([
      "sqlite_sequence [counter]: the log's AUTOINCREMENT counter is 10000, its newest event is at position 4: " +
        "positions 5..10000 were given to events no longer in the log, or the counter was moved " +
        "(the next append would take position 10001, leaving a gap)",
    ]);
    expect(doctorProblems(path)).toContainEqual(expect.stringMatching(/^log: sqlite_sequence \[counter\]/));
    figures.redTeamCasesFound++;
  });

  it("an event removed from the middle of the log (triggers dropped and re-created) is named by the gap and the broken link", () => {
    const path = curatedBatch();
    withoutTriggers(path, "DELETE FROM events WHERE position = 2");
    expect(findings(path)).toEqual([
      "position 2 [positions]: position 2 is missing (a gap before 3)",
      expect.stringMatching(/^position 3 \[chain\]: the event does not match its stored hash/),
      "position 3 [stream]: ImageCurated at version 2 of image:a.png has no version 1 before it",
    ]);
    expectReplaysRefuse(path, 3);
    figures.redTeamCasesFound++;
  });
});
