import { describe, expect, it, onTestFinished } from "vitest";
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
