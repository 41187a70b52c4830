import { describe, expect, it, onTestFinished } from "vitest";
import { openConnection } from "../../src/db/connection.js";
import { createTestStore } from "../../src/testing/index.js";
import { expectStoreError } from "../support.js";

const started = (batchId: string) => ({ type: "BatchStarted" as const, data: { batchId } });

/** A store and a second connection to its file, both closed after the test. */
const storeAndReader = () => {
  const store = createTestStore();
  const reader = openConnection(store.path, { readonly: true });
  onTestFinished(() => {
    reader.close();
    store.close();
  });
  const count = () => reader.prepare("SELECT count(*) FROM events").pluck().get();
  return { store, count };
};

describe("store.beginTransaction: one transaction around many appends", () => {
  it("keeps every append from other connections until commit, then makes all of them durable at once", () => {
    const { store, count } = storeAndReader();
    const tx = store.beginTransaction();
    expect(tx.append([started("b1")])).toMatchObject([{ position: 1, streamId: "batch:b1" }]);
    expect(tx.appendUnknown([started("b2"), started("b3")]).map((e) => e.position)).toEqual([2, 3]);
    expect(count()).toBe(0);
    tx.commit();
    expect(count()).toBe(3);
    expect(store.rows("creation_sessions").map((r) => r.batch_id)).toEqual(["b1", "b2", "b3"]);
    // The projection checkpoint moved with the appends: the tables are fresh at the new head.
    expect(store.projectionStatus().map((s) => [s.state, s.position])).toEqual(
      store.projectionStatus().map(() => ["fresh", 3]),
    );
  });

  it("undoes only an append the store refuses, and everything on rollback", () => {
    const { store, count } = storeAndReader();
    const tx = store.beginTransaction();
    tx.append([started("b1")]);
    expectStoreError(
      () => tx.append([started("b2"), { type: "BatchStarted", data: { batchId: "b1" } }]),
      "STREAM_EXISTS",
      /BatchStarted for batch:b1, which already exists/,
    );
    expect(tx.append([started("b3")])).toMatchObject([{ position: 2 }]);
    tx.rollback();
    tx.rollback();
    expect(count()).toBe(0);
    expect(store.rows("creation_sessions")).toEqual([]);
    expect(store.append([started("b4")])).toMatchObject([{ position: 1 }]);
  });

  it("refuses the store's own appends while it is open, and its own once it has ended", () => {
    const { store, count } = storeAndReader();
    const tx = store.beginTransaction();
    const refused = /this store has a transaction open \(beginTransaction\): append through it, or end it first/;
    expectStoreError(() => store.append([started("x")]), "INVALID_ARGUMENT", refused);
    expectStoreError(() => store.appendUnknown([started("x")]), "INVALID_ARGUMENT", refused);
    expectStoreError(() => store.emit.batchStarted({ batchId: "x" }), "INVALID_ARGUMENT", refused);
    expectStoreError(() => store.beginTransaction(), "INVALID_ARGUMENT", refused);
    tx.append([started("b1")]);
    tx.commit();
    expectStoreError(() => tx.append([started("b2")]), "INVALID_ARGUMENT", /this transaction has ended/);
    expect(store.emit.batchStarted({ batchId: "b2" })).toMatchObject({ position: 2 });
    expect(count()).toBe(2);
  });

  it("holds the write lock from its beginning (BEGIN IMMEDIATE) to its end", () => {
    const { store } = storeAndReader();
    const writer = openConnection(store.path, { busyTimeoutMs: 5 });
    onTestFinished(() => {
      writer.close();
    });
    const tx = store.beginTransaction();
    expect(() => writer.prepare("BEGIN IMMEDIATE").run()).toThrow(/database is locked/);
    tx.rollback();
    writer.prepare("BEGIN IMMEDIATE").run();
    writer.prepare("ROLLBACK").run();
  });
});
