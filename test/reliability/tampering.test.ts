import { spawnSync } from "node:child_process";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Db, openConnection } from "../../src/db/connection.js";
import { openStore } from "../../src/index.js";
import { auditProjections, rebuildProjections } from "../../src/operations.js";
import { canonicalDump, migratedDb, processTempDir, recordFigures, sha256, stateHash } from "./support.js";

/**
 * Tampering with the log: whoever holds a connection (the store's, another
 * program's, the sqlite3 shell) cannot rewrite or remove an event. Every attempt
 * aborts with the append-only trigger's message and the log is unchanged.
 */
const figures = { statementsRefused: 0, throughSqlite3Shell: 0, projectionRowsTamperedFoundAndRepaired: 0 };
afterAll(() => recordFigures("tampering", figures));

const EVENT_COLUMNS = "event_id, stream_id, stream_version, type, schema_version, data, occurred_at, recorded_at";
const forged = (eventId: string, stream: string, version: number) =>
  `'${eventId}', '${stream}', ${version}, 'ImageGenerated', 1, ` +
  `'{"filename":"base.png","prompt":"forged","modelId":"m"}', '2026-01-01T00:00:00.000Z', '2026-01-01T00:00:00.000Z'`;

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
