import { afterAll, describe, expect, it, onTestFinished } from "vitest";
import { z } from "zod";
import { createTestStore } from "../../src/testing/index.js";

const image = {
  filename: "a.png",
  prompt: "p",
  model_id: "m",
  created_at: "2026-01-08T12:00:00.000Z",
  updated_at: "2026-01-08T12:00:00.000Z",
};
const insertImage = (overrides: Record<string, unknown>) => {
  const store = createTestStore();
  onTestFinished(store.close);
  const row = { ...image, ...overrides };
  const cols = Object.keys(row);
  return () =>
    store.db
      .prepare(`INSERT INTO generated_images (${cols.join(", ")}) VALUES (${cols.map((c) => `@${c}`).join(", ")})`)
      .run(row);
};

describe("CHECK constraints", () => {
  it.each([
    ["aesthetic_score", 10.5],
    ["aesthetic_score", -0.1],
    ["clip_score", 1.01],
    ["technical_score", -1],
    ["final_score", 10.01],
    ["final_score", -0.5],
    ["diversity_score", 10.01],
    ["diversity_score", -1],
    ["status", "approved"],
    ["is_featured", 2],
    ["tags", "not json"],
  ])("generated_images rejects %s = %s", (column, value) => {
    expect(insertImage({ [column]: value })).toThrow(/CHECK constraint failed/);
  });

  it.each([
    ["aesthetic_score", 10],
    ["clip_score", 0],
    ["technical_score", 1],
    ["final_score", 0],
    ["diversity_score", 10],
    ["status", "rejected"],
  ])("generated_images accepts the boundary %s = %s", (column, value) => {
    expect(insertImage({ [column]: value })).not.toThrow();
  });

  it("training_sessions rejects an unknown status", () => {
    const store = createTestStore();
    onTestFinished(store.close);
    expect(() =>
      store.db
        .prepare(
          "INSERT INTO training_sessions (run_id, name, model_path, started_at, updated_at, status) VALUES ('r', 'n', 'm', 't', 't', 'paused')",
        )
        .run(),
    ).toThrow(/CHECK constraint failed/);
  });

  it("creation_sessions rejects more images kept than created, and an average over 10", () => {
    const store = createTestStore();
    onTestFinished(store.close);
    const insert = (kept: number, avg: number) => () =>
      store.db
        .prepare(
          "INSERT INTO creation_sessions (batch_id, images_created, images_kept, avg_score, started_at, updated_at) VALUES ('b', 2, ?, ?, 't', 't')",
        )
        .run(kept, avg);
    expect(insert(3, 5)).toThrow(/CHECK constraint failed/);
    expect(insert(1, 10.5)).toThrow(/CHECK constraint failed/);
    expect(insert(2, 10)).not.toThrow();
  });
});

describe("immutable identity columns (the document's update_timestamp trigger, made deterministic)", () => {
  it("aborts an UPDATE that changes created_at", () => {
    const store = createTestStore();
    onTestFinished(store.close);
    store.emit.imageGenerated({ filename: "a.png", prompt: "p", modelId: "m" });
    expect(() => store.db.prepare("UPDATE generated_images SET created_at = '2030-01-01T00:00:00.000Z'").run()).toThrow(
      /immutable/,
    );
  });

  it("leaves created_at alone when a curation updates the row", () => {
    const store = createTestStore();
    onTestFinished(store.close);
    store.emit.imageGenerated({ filename: "a.png", prompt: "p", modelId: "m" }, { occurredAt: "2026-01-08T12:00:00Z" });
    store.emit.imageCurated(
      { filename: "a.png", status: "curated", finalScore: 7 },
      { occurredAt: "2026-01-09T08:30:00Z" },
    );
    expect(store.db.prepare("SELECT created_at, updated_at FROM generated_images").get()).toEqual({
      created_at: "2026-01-08T12:00:00.000Z",
      updated_at: "2026-01-09T08:30:00.000Z",
    });
  });

  it.each([
    ["training_sessions", "started_at"],
    ["creation_sessions", "started_at"],
  ])("aborts an UPDATE of %s.%s", (table, column) => {
    const store = createTestStore();
    onTestFinished(store.close);
    store.emit.trainingStarted({ runId: "r1", name: "n", modelPath: "m" });
    store.emit.batchStarted({ batchId: "b1" });
    expect(() => store.db.prepare(`UPDATE ${table} SET ${column} = 'x'`).run()).toThrow(/immutable/);
  });
});

describe("append-only event log", () => {
  it("aborts UPDATE and DELETE on events", () => {
    const store = createTestStore();
    onTestFinished(store.close);
    store.emit.batchStarted({ batchId: "b1" });
    expect(() => store.db.prepare("UPDATE events SET type = 'X'").run()).toThrow(/append-only: UPDATE/);
    expect(() => store.db.prepare("DELETE FROM events").run()).toThrow(/append-only: DELETE/);
    expect(store.db.prepare("SELECT count(*) FROM events").pluck().get()).toBe(1);
  });
});

type Values = Record<string, unknown>;

/** A row each table accepts, written with raw SQL: a case below changes only the columns it names. */
const VALID_ROWS: Record<string, Values> = {
  events: {
    event_id: "e1",
    stream_id: "batch:b1",
    stream_version: 1,
    type: "BatchStarted",
    schema_version: 1,
    data: '{"batchId":"b1"}',
    metadata: "{}",
    occurred_at: "2026-01-08T12:00:00.000Z",
    recorded_at: "2026-01-08T12:00:00.000Z",
    // Any well-formed hash: the insert trigger asks for one, `verify` checks it is the chain's.
    hash: "0".repeat(64),
  },
  generated_images: image,
  training_sessions: {
    run_id: "r1",
    name: "n",
    model_path: "m",
    started_at: "2026-01-08T12:00:00.000Z",
    updated_at: "2026-01-08T12:00:00.000Z",
  },
  creation_sessions: {
    batch_id: "b1",
    images_created: 2,
    images_kept: 1,
    started_at: "2026-01-08T12:00:00.000Z",
    updated_at: "2026-01-08T12:00:00.000Z",
  },
  projection_state: { projection: "some_projection", fingerprint: "f", position: 0 },
  consumers: {
    name: "thumbnailer",
    position: 0,
    created_at: "2026-01-08T12:00:00.000Z",
    updated_at: "2026-01-08T12:00:00.000Z",
  },
  quality_tiers: { tier: "Good", images: 2, scored: 1, score_sum: 6.5 },
  creation_days: {
    day: "2026-01-08",
    sessions: 2,
    images_created: 3,
    images_kept: 1,
    avg_score_sum: 7,
    avg_scores: 1,
  },
};

/**
 * Each CHECK of the migrations (its text as SQLite reports it), rows that break
 * it and rows at its bounds that it lets through. A refused row breaks this CHECK
 * and SQLite names it; a row may break another CHECK too (images = -1 also breaks
 * scored <= images), so the test holds the name, not just the refusal.
 */
const CHECKS: { table: string; check: string; refused: Values[]; accepted: Values[] }[] = [
  {
    table: "events",
    check: "stream_version >= 1",
    refused: [{ stream_version: 0 }],
    accepted: [{ stream_version: 1 }],
  },
  {
    table: "events",
    check: "schema_version >= 1",
    refused: [{ schema_version: 0 }],
    accepted: [{ schema_version: 1 }],
  },
  { table: "events", check: "json_valid(data)", refused: [{ data: "{batchId" }], accepted: [{ data: "{}" }] },
  { table: "events", check: "json_valid(metadata)", refused: [{ metadata: "" }], accepted: [{ metadata: "[]" }] },
  {
    table: "events",
    check: "hash IS NULL OR (typeof(hash) = 'text' AND length(hash) = 64)",
    // The hex digits are the chain's to prove (verify): the CHECK asks only for 64 characters of text.
    refused: [{ hash: "0".repeat(63) }, { hash: "0".repeat(65) }, { hash: Buffer.alloc(64) }, { hash: 1e63 }],
    accepted: [{ hash: "f".repeat(64) }, { hash: "0123456789abcdef".repeat(4) }],
  },
  ...[
    { column: "aesthetic_score", max: 10 },
    { column: "clip_score", max: 1 },
    { column: "technical_score", max: 1 },
    { column: "final_score", max: 10 },
    { column: "diversity_score", max: 10 },
  ].map(({ column, max }) => ({
    table: "generated_images",
    check: `${column} IS NULL OR (${column} >= 0 AND ${column} <= ${max})`,
    refused: [{ [column]: -0.001 }, { [column]: max + 0.001 }],
    accepted: [{ [column]: 0 }, { [column]: max }, { [column]: null }],
  })),
  ...["generation_params", "tags"].map((column) => ({
    table: "generated_images",
    check: `${column} IS NULL OR json_valid(${column})`,
    refused: [{ [column]: "not json" }],
    accepted: [{ [column]: null }, { [column]: '{"steps":30}' }],
  })),
  {
    table: "generated_images",
    check: "status IN ('pending', 'curated', 'rejected')",
    refused: [{ status: "approved" }, { status: "Curated" }],
    accepted: [{ status: "pending" }, { status: "curated" }, { status: "rejected" }],
  },
  {
    table: "generated_images",
    check: "is_featured IN (0, 1)",
    refused: [{ is_featured: 2 }, { is_featured: -1 }],
    accepted: [{ is_featured: 0 }, { is_featured: 1 }],
  },
  ...["config", "metrics"].map((column) => ({
    table: "training_sessions",
    check: `${column} IS NULL OR json_valid(${column})`,
    refused: [{ [column]: "{" }],
    accepted: [{ [column]: null }, { [column]: '{"lr":0.0001}' }],
  })),
  ...["dataset_size", "final_loss", "training_time_seconds"].map((column) => ({
    table: "training_sessions",
    check: `${column} IS NULL OR ${column} >= 0`,
    refused: [{ [column]: -1 }],
    accepted: [{ [column]: 0 }, { [column]: null }],
  })),
  {
    table: "training_sessions",
    check: "status IN ('running', 'completed', 'failed')",
    refused: [{ status: "paused" }],
    accepted: [{ status: "running" }, { status: "completed" }, { status: "failed" }],
  },
  {
    table: "creation_sessions",
    check: "images_created >= 0",
    refused: [{ images_created: -1, images_kept: 0 }],
    accepted: [{ images_created: 0, images_kept: 0 }],
  },
  {
    table: "creation_sessions",
    check: "images_kept >= 0 AND images_kept <= images_created",
    refused: [{ images_kept: -1 }, { images_kept: 3 }],
    accepted: [{ images_kept: 0 }, { images_kept: 2 }],
  },
  {
    table: "creation_sessions",
    check: "avg_score IS NULL OR (avg_score >= 0 AND avg_score <= 10)",
    refused: [{ avg_score: -0.5 }, { avg_score: 10.5 }],
    accepted: [{ avg_score: 0 }, { avg_score: 10 }, { avg_score: null }],
  },
  { table: "projection_state", check: "position >= 0", refused: [{ position: -1 }], accepted: [{ position: 0 }] },
  {
    table: "consumers",
    check: "length(name) BETWEEN 1 AND 200",
    refused: [{ name: "" }, { name: "c".repeat(201) }],
    accepted: [{ name: "c" }, { name: "c".repeat(200) }],
  },
  {
    table: "consumers",
    check: "typeof(position) = 'integer' AND position >= 0",
    refused: [{ position: -1 }, { position: -0.5 }],
    accepted: [{ position: 0 }],
  },
  { table: "consumers", check: "resets >= 0", refused: [{ resets: -1 }], accepted: [{ resets: 0 }, { resets: 3 }] },
  {
    table: "consumers",
    check: "length(lease_holder) BETWEEN 1 AND 200",
    refused: [
      { lease_holder: "", lease_expires_at: "2026-01-08T12:00:30.000Z" },
      { lease_holder: "h".repeat(201), lease_expires_at: "2026-01-08T12:00:30.000Z" },
    ],
    accepted: [{ lease_holder: "h".repeat(200), lease_expires_at: "2026-01-08T12:00:30.000Z" }],
  },
  {
    table: "consumers",
    check: "(lease_holder IS NULL) = (lease_expires_at IS NULL)",
    refused: [{ lease_holder: "pid 1" }, { lease_expires_at: "2026-01-08T12:00:30.000Z" }],
    accepted: [{ lease_holder: "pid 1", lease_expires_at: "2026-01-08T12:00:30.000Z" }, { lease_holder: null }],
  },
  {
    table: "quality_tiers",
    check: "tier IN ('Excellent', 'Good', 'Fair', 'Poor')",
    refused: [{ tier: "Great" }, { tier: "good" }],
    accepted: [{ tier: "Excellent" }, { tier: "Good" }, { tier: "Fair" }, { tier: "Poor" }],
  },
  {
    table: "quality_tiers",
    check: "images >= 0",
    refused: [{ images: -1, scored: 0 }],
    accepted: [{ images: 0, scored: 0 }],
  },
  {
    table: "quality_tiers",
    check: "scored >= 0 AND scored <= images",
    refused: [{ scored: -1 }, { scored: 3 }],
    accepted: [{ scored: 0 }, { scored: 2 }],
  },
  {
    table: "creation_days",
    check: "sessions >= 0",
    refused: [{ sessions: -1, avg_scores: 0 }],
    accepted: [{ sessions: 0, avg_scores: 0 }],
  },
  ...["images_created", "images_kept"].map((column) => ({
    table: "creation_days",
    check: `${column} >= 0`,
    refused: [{ [column]: -1 }],
    accepted: [{ [column]: 0 }],
  })),
  {
    table: "creation_days",
    check: "avg_scores >= 0 AND avg_scores <= sessions",
    refused: [{ avg_scores: -1 }, { avg_scores: 3 }],
    accepted: [{ avg_scores: 0 }, { avg_scores: 2 }],
  },
];

/** The text of every CHECK (...) in a CREATE TABLE statement, as SQLite names it when it fails. */
const checksIn = (sql: string): string[] => {
  const found: string[] = [];
  for (const match of sql.matchAll(/\bCHECK\s*\(/gi)) {
    const start = (match.index ?? 0) + match[0].length;
    let depth = 1;
    let end = start;
    for (; end < sql.length && depth > 0; end++) {
      if (sql[end] === "(") depth++;
      if (sql[end] === ")") depth--;
    }
    found.push(sql.slice(start, end - 1).trim());
  }
  return found;
};

describe("every CHECK constraint of the migrations, behaviourally", () => {
  const store = createTestStore();
  afterAll(() => store.close());
  /** Insert a row with raw SQL in a transaction that is always rolled back: the store stays empty. */
  const insert = (table: string, values: Values): void => {
    const row = { ...VALID_ROWS[table], ...values };
    const cols = Object.keys(row);
    const statement = store.db.prepare(
      `INSERT INTO ${table} (${cols.join(", ")}) VALUES (${cols.map((c) => `@${c}`).join(", ")})`,
    );
    store.db.exec("BEGIN");
    try {
      statement.run(row);
    } finally {
      store.db.exec("ROLLBACK");
    }
  };

  it("has a case for each CHECK of the migrated schema, and no case for a CHECK it lacks", () => {
    const tables = z
      .array(z.object({ name: z.string(), sql: z.string() }))
      .parse(store.db.prepare("SELECT name, sql FROM sqlite_master WHERE type = 'table' ORDER BY name").all());
    const inSchema = tables.flatMap((t) => checksIn(t.sql).map((check) => `${t.name}: ${check}`));
    expect(inSchema).toHaveLength(36);
    expect(CHECKS.map((c) => `${c.table}: ${c.check}`).sort()).toEqual(inSchema.sort());
  });

  it.each(Object.keys(VALID_ROWS))("%s takes the valid row the cases start from", (table) => {
    expect(() => insert(table, {})).not.toThrow();
  });

  it.each(CHECKS.flatMap(({ table, check, refused }) => refused.map((values) => ({ table, check, values }))))(
    "$table refuses $values: CHECK ($check)",
    ({ table, check, values }) => {
      let caught: unknown;
      try {
        insert(table, values);
      } catch (e) {
        caught = e;
      }
      expect(caught).toMatchObject({ code: "SQLITE_CONSTRAINT_CHECK", message: `CHECK constraint failed: ${check}` });
    },
  );

  it.each(CHECKS.flatMap(({ table, check, accepted }) => accepted.map((values) => ({ table, check, values }))))(
    "$table takes $values at the bounds of CHECK ($check)",
    ({ table, values }) => {
      expect(() => insert(table, values)).not.toThrow();
    },
  );
});
