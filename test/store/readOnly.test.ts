import { statSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { openStore } from "../../src/index.js";
import { createMigratedDatabase } from "../../src/replay/scratch.js";
import { createTestStore } from "../../src/testing/index.js";
import { batchStarted } from "../fixtures.js";
import { expectStoreError, tempDir } from "../support.js";

describe("openStore({ readOnly: true })", () => {
  it("reads the log and the tables, and refuses every append with one StoreError", () => {
    const store = createTestStore();
    store.append([batchStarted("b1", "2026-01-08T09:00:00Z")]);
    const reader = openStore({ url: store.path, readOnly: true });
    expect(reader.headPosition()).toBe(1);
    expect(reader.queries.dailyCreationStatistics()).toHaveLength(1);
    expect(reader.projectionStatus().map((s) => s.state)).toEqual(["fresh", "fresh", "fresh"]);
    expect(reader.db.pragma("query_only", { simple: true })).toBe(1);
    expectStoreError(
      () => reader.emit.batchStarted({ batchId: "b2" }),
      "INVALID_ARGUMENT",
      /was opened read-only: append refused$/,
    );
    expectStoreError(
      () => reader.appendUnknown([{ type: "BatchStarted", data: { batchId: "b3" } }]),
      "INVALID_ARGUMENT",
      /read-only/,
    );
    expect(store.headPosition()).toBe(1);
    reader.close();
    store.close();
  });

  it("writes nothing when it opens a store no writer has opened yet", () => {
    const path = join(tempDir(), "fresh.db");
    createMigratedDatabase(path);
    const before = statSync(path);
    const reader = openStore({ url: path, readOnly: true, stale: "ignore" });
    expect(reader.projectionStatus().map((s) => s.state)).toEqual(["unrecorded", "unrecorded", "unrecorded"]);
    reader.close();
    expect(statSync(path).mtimeMs).toBe(before.mtimeMs);
  });

  it("cannot migrate", () => {
    expectStoreError(
      () => openStore({ url: join(tempDir(), "x.db"), readOnly: true, migrate: true }),
      "INVALID_ARGUMENT",
      /a read-only store cannot migrate/,
    );
  });
});
