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
