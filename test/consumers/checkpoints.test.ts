import { describe, expect, it, onTestFinished } from "vitest";
import { createCheckpoints } from "../../src/consumers/checkpoints.js";
import { consumerStatuses } from "../../src/consumers/status.js";
import { openConnection } from "../../src/db/connection.js";
import { deleteConsumer, listConsumers, resetConsumer } from "../../src/operations.js";
import { createTestStore, type TestStore } from "../../src/testing/index.js";
import { expectStoreError } from "../support.js";

/** A store with `n` batch events in its log. */
const storeWith = (n: number): TestStore => {
  const store = createTestStore();
  onTestFinished(store.close);
  for (let i = 0; i < n; i++) store.emit.batchStarted({ batchId: `b${i}` });
  return store;
};

/** A raw connection to the same file: what a foreign writer would do, past the library's checks. */
const foreign = (store: TestStore) => {
  const db = openConnection(store.path);
  onTestFinished(() => {
    db.close();
  });
  return db;
};

const NOW = "2026-01-08T12:00:00.000Z";

describe("the consumers table guards its checkpoints", () => {
  it("refuses a checkpoint that moves backwards, except by a reset", () => {
    const store = storeWith(5);
    const db = foreign(store);
    db.prepare(`INSERT INTO consumers (name, position, created_at, updated_at) VALUES ('c', 4, ?, ?)`).run(NOW, NOW);
    expect(() => db.prepare(`UPDATE consumers SET position = 3 WHERE name = 'c'`).run()).toThrow(
      /a checkpoint never moves backwards/,
    );
    db.prepare(`UPDATE consumers SET position = 1, resets = resets + 1 WHERE name = 'c'`).run();
    expect(db.prepare(`SELECT position, resets FROM consumers`).get()).toEqual({ position: 1, resets: 1 });
  });

  it("refuses a checkpoint past the log's head, on insert and on update", () => {
    const store = storeWith(3);
    const db = foreign(store);
    expect(() =>
      db.prepare(`INSERT INTO consumers (name, position, created_at, updated_at) VALUES ('c', 4, ?, ?)`).run(NOW, NOW),
    ).toThrow(/past the head of the log/);
    db.prepare(`INSERT INTO consumers (name, position, created_at, updated_at) VALUES ('c', 3, ?, ?)`).run(NOW, NOW);
    expect(() => db.prepare(`UPDATE consumers SET position = 4 WHERE name = 'c'`).run()).toThrow(
      /past the head of the log/,
    );
  });

  it.each([
    [
      "a negative position",
      `INSERT INTO consumers (name, position, created_at, updated_at) VALUES ('c', -1, '${NOW}', '${NOW}')`,
    ],
    [
      "a position that is not an integer",
      `INSERT INTO consumers (name, position, created_at, updated_at) VALUES ('c', 1.5, '${NOW}', '${NOW}')`,
    ],
    [
      "an empty name",
      `INSERT INTO consumers (name, position, created_at, updated_at) VALUES ('', 0, '${NOW}', '${NOW}')`,
    ],
    [
      "a name over 200 characters",
      `INSERT INTO consumers (name, position, created_at, updated_at) VALUES ('${"n".repeat(201)}', 0, '${NOW}', '${NOW}')`,
    ],
    [
      "negative resets",
      `INSERT INTO consumers (name, position, resets, created_at, updated_at) VALUES ('c', 0, -1, '${NOW}', '${NOW}')`,
    ],
    [
      "a holder without an expiry",
      `INSERT INTO consumers (name, position, created_at, updated_at, lease_holder) VALUES ('c', 0, '${NOW}', '${NOW}', 'h')`,
    ],
    [
      "an expiry without a holder",
      `INSERT INTO consumers (name, position, created_at, updated_at, lease_expires_at) VALUES ('c', 0, '${NOW}', '${NOW}', '${NOW}')`,
    ],
    [
      "an empty holder",
      `INSERT INTO consumers (name, position, created_at, updated_at, lease_holder, lease_expires_at) VALUES ('c', 0, '${NOW}', '${NOW}', '', '${NOW}')`,
    ],
  ])("refuses %s (CHECK)", (_, sql) => {
    const store = storeWith(3);
    expect(() => foreign(store).prepare(sql).run()).toThrow(/CHECK constraint failed/);
  });
});

describe("checkpoints through the library", () => {
  it("creates a consumer at its start point once, and keeps an existing one where it is", () => {
    const store = storeWith(5);
    const checkpoints = createCheckpoints(store.db);
    expect(checkpoints.ensure("a", "beginning").row.position).toBe(0);
    expect(checkpoints.ensure("b", "end").row.position).toBe(5);
    expect(checkpoints.ensure("c", 3)).toMatchObject({ created: true, row: { position: 2 } });
    expect(checkpoints.ensure("c", "end")).toMatchObject({ created: false, row: { position: 2 } });
    expectStoreError(
      () => checkpoints.ensure("d", 7),
      "INVALID_ARGUMENT",
      /from 1 to 6 \(the log's head is 5\), got 7/,
    );
    expectStoreError(
      () => checkpoints.ensure("", "end"),
      "INVALID_ARGUMENT",
      /consumer name must be 1 to 200 characters/,
    );
  });

  it("moves a checkpoint only forward, only up to the head, and only for the lease holder", () => {
    const store = storeWith(5);
    const checkpoints = createCheckpoints(store.db);
    checkpoints.ensure("c", "beginning");
    expect(checkpoints.acquire("c", "h1", 60_000).acquired).toBe(true);
    checkpoints.advance("c", "h1", 60_000, 0, 3);
    expectStoreError(() => checkpoints.advance("c", "h1", 60_000, 3, 2), "INVALID_ARGUMENT", /from 3 to 2/);
    expectStoreError(() => checkpoints.advance("c", "h1", 60_000, 3, 6), "INVALID_ARGUMENT", /log's head is 5/);
    expectStoreError(
      () => checkpoints.advance("c", "h2", 60_000, 3, 4),
      "LEASE_LOST",
      /no longer held by h2 \(holder h1, checkpoint 3\): the checkpoint did not move to 4/,
    );
    expect(checkpoints.mustGet("c").position).toBe(3);
  });

  it("lets another holder take the lease only once it has expired or been released", () => {
    const store = storeWith(1);
    const checkpoints = createCheckpoints(store.db);
    checkpoints.ensure("c", "beginning");
    expect(checkpoints.acquire("c", "h1", 60_000).acquired).toBe(true);
    expect(checkpoints.acquire("c", "h2", 60_000)).toMatchObject({ acquired: false, row: { leaseHolder: "h1" } });
    checkpoints.release("c", "h1");
    expect(checkpoints.acquire("c", "h2", 60_000).acquired).toBe(true);
    foreign(store).prepare(`UPDATE consumers SET lease_expires_at = '2000-01-01T00:00:00.000Z'`).run();
    expect(checkpoints.acquire("c", "h1", 60_000).acquired).toBe(true);
    expect(checkpoints.renew("c", "h2", 60_000)).toBe(false);
  });

  it("refuses to reset or delete a consumer whose lease is live, unless forced", () => {
    const store = storeWith(4);
    const checkpoints = createCheckpoints(store.db);
    checkpoints.ensure("c", "end");
    checkpoints.acquire("c", "worker-1", 60_000);
    expectStoreError(
      () => resetConsumer(store, "c", "beginning"),
      "CONSUMER_LEASED",
      /cannot reset consumer c: it is running \(lease held by worker-1 until /,
    );
    expectStoreError(() => deleteConsumer(store, "c"), "CONSUMER_LEASED", /cannot delete consumer c/);
    expect(resetConsumer(store, "c", 2, { force: true })).toMatchObject({ position: 1, resets: 1, lease: null });
    expect(resetConsumer(store, "c", "end")).toMatchObject({ position: 4, resets: 2 });
    expect(deleteConsumer(store, "c")).toEqual({ name: "c", position: 4 });
    expect(listConsumers(store)).toEqual([]);
    expectStoreError(() => deleteConsumer(store, "c"), "CONSUMER_NOT_FOUND", /no consumer named "c"/);
    expectStoreError(() => resetConsumer(store, "nope", "end"), "CONSUMER_NOT_FOUND", /no consumer named "nope"/);
  });

  it("lists each consumer's lag in events and the age of its oldest unhandled event", () => {
    const store = storeWith(5);
    const checkpoints = createCheckpoints(store.db);
    checkpoints.ensure("behind", 3);
    checkpoints.ensure("caught-up", "end");
    checkpoints.acquire("caught-up", "h", 60_000);
    // The test store's clock records every event at 2026-01-08T12:00:00.000Z.
    const statuses = consumerStatuses(store.db, new Date("2026-01-08T12:01:30.000Z"));
    expect(
      statuses.map(({ createdAt, updatedAt, lease, ...rest }) => ({
        ...rest,
        holder: lease?.holder,
        live: lease?.live,
      })),
    ).toEqual([
      {
        name: "behind",
        position: 2,
        head: 5,
        lagEvents: 3,
        lagSeconds: 90,
        resets: 0,
        holder: undefined,
        live: undefined,
      },
      { name: "caught-up", position: 5, head: 5, lagEvents: 0, lagSeconds: 0, resets: 0, holder: "h", live: true },
    ]);
    const later = consumerStatuses(store.db, new Date(Date.now() + 120_000));
    expect(later.find((c) => c.name === "caught-up")?.lease).toMatchObject({ holder: "h", live: false });
  });
});
