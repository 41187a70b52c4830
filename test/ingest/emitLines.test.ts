import { describe, expect, it, onTestFinished } from "vitest";
import { openConnection } from "../../src/db/connection.js";
import { StoreError } from "../../src/index.js";
import { emitLines } from "../../src/ingest/emitLines.js";
import { createTestStore } from "../../src/testing/index.js";

const started = (batchId: string) => JSON.stringify({ type: "BatchStarted", data: { batchId } });

describe("emitLines", () => {
  it("stops when the database stays locked, saying which lines are already durable", async () => {
    const store = createTestStore({ busyTimeoutMs: 5 });
    onTestFinished(store.close);
    const locker = openConnection(store.path);
    async function* lines() {
      yield started("b1");
      yield started("b2"); // the batch of two is committed when this line fills it
      locker.prepare("BEGIN IMMEDIATE").run();
      yield started("b3");
    }
    try {
      const error = await emitLines(store, lines(), { batchSize: 2 }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(StoreError);
      expect(error).toMatchObject({ code: "STORE_BUSY", details: { line: 3 } });
      expect(String((error as Error).message)).toMatch(
        /\(stopped at line 3: the 2 event\(s\) of the lines before it are appended, nothing from it on\)$/,
      );
    } finally {
      locker.prepare("ROLLBACK").run();
      locker.close();
    }
    expect(store.rows("creation_sessions")).toHaveLength(2);
  });
});

describe("emitLines, when the store fails in a way it has no code for", () => {
  it("stops with a StoreError (INTERNAL, SQLite's code in details), never a raw SqliteError", async () => {
    const store = createTestStore();
    onTestFinished(store.close);
    // A foreign trigger: the append fails with SQLITE_CONSTRAINT_TRIGGER, which is about neither the line nor the disk.
    store.db.exec(
      "CREATE TRIGGER foreign_guard BEFORE INSERT ON creation_sessions WHEN NEW.batch_id = 'b2' BEGIN SELECT RAISE(ABORT, 'no b2 here'); END",
    );
    async function* lines() {
      yield started("b1");
      yield started("b2");
    }
    const error = await emitLines(store, lines(), { batchSize: 1 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StoreError);
    expect(error).toMatchObject({ code: "INTERNAL", details: { line: 2, errorCode: "SQLITE_CONSTRAINT_TRIGGER" } });
    expect(String((error as Error).message)).toMatch(/^no b2 here \(stopped at line 2: the 1 event\(s\) of the lines/);
  });
});

describe("emitLines with atomic", () => {
  const generated = (filename: string) =>
    JSON.stringify({ type: "ImageGenerated", data: { filename, prompt: "a fox", modelId: "sdxl" } });
  const curated = (filename: string, streamVersion: number, finalScore = 8) =>
    JSON.stringify({ type: "ImageCurated", streamVersion, data: { filename, status: "curated", finalScore } });

  it("streams the lines into one transaction, a batch at a time: none is visible until the last is read", async () => {
    const store = createTestStore();
    onTestFinished(store.close);
    const reader = openConnection(store.path, { readonly: true });
    onTestFinished(() => {
      reader.close();
    });
    const count = () => reader.prepare("SELECT count(*) FROM events").pluck().get();
    const seen: unknown[] = [];
    async function* lines() {
      for (let i = 1; i <= 7; i++) {
        yield started(`b${i}`);
        seen.push(count());
      }
    }
    const report = await emitLines(store, lines(), { atomic: true, batchSize: 2 });
    expect(seen).toEqual([0, 0, 0, 0, 0, 0, 0]);
    expect(report).toMatchObject({ lines: 7, accepted: 7, rejected: [], firstPosition: 1, lastPosition: 7 });
    expect(count()).toBe(7);
  });

  it.each([1, 2, 500])(
    "writes nothing, and reports the first bad line whatever makes it bad and every later line bad on its own (batch size %i)",
    async (batchSize) => {
      const store = createTestStore();
      onTestFinished(store.close);
      const input = [
        generated("a.png"), // 1
        curated("a.png", 2), // 2
        curated("a.png", 2, 7), // 3: a version conflict, bad only for the log's state
        generated("b.png"), // 4
        curated("b.png", 5), // 5: a conflict too, but after the first bad line nothing is appended to judge it
        curated("b.png", 2, 11), // 6: bad on its own (finalScore)
        "{not json", // 7
        generated("c.png"), // 8
      ];
      async function* lines() {
        yield* input;
      }
      const report = await emitLines(store, lines(), { atomic: true, batchSize });
      expect(report.rejected.map((r) => [r.line, r.code])).toEqual([
        [3, "VERSION_CONFLICT"],
        [6, "INVALID_EVENT"],
        [7, "MALFORMED_JSON"],
      ]);
      expect(report).toMatchObject({ lines: 8, accepted: 0, firstPosition: null, lastPosition: null });
      expect(store.headPosition()).toBe(0);
      expect(store.rows("generated_images")).toEqual([]);
    },
  );

  it("judges the lines before a malformed one first, in order", async () => {
    const store = createTestStore();
    onTestFinished(store.close);
    async function* lines() {
      yield generated("a.png");
      yield curated("a.png", 3); // a conflict, before the malformed line and in the same batch
      yield "[1, 2";
    }
    const report = await emitLines(store, lines(), { atomic: true });
    expect(report.rejected.map((r) => [r.line, r.code])).toEqual([
      [2, "VERSION_CONFLICT"],
      [3, "MALFORMED_JSON"],
    ]);
    expect(store.headPosition()).toBe(0);
  });

  it("leaves the store usable after a run that failed (the transaction is ended either way)", async () => {
    const store = createTestStore();
    onTestFinished(store.close);
    async function* lines() {
      yield started("b1");
      yield started("b1");
    }
    expect((await emitLines(store, lines(), { atomic: true })).rejected).toHaveLength(1);
    async function* failing() {
      yield started("b2");
      throw new Error("the input broke");
    }
    await expect(emitLines(store, failing(), { atomic: true, batchSize: 1 })).rejects.toThrow("the input broke");
    expect(store.emit.batchStarted({ batchId: "b3" })).toMatchObject({ position: 1 });
  });
});
