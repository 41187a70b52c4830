import { describe, expect, it, onTestFinished } from "vitest";
import { QUERY_NAMES, StoreError } from "../../src/index.js";
import { openStoreAsOf, runQueryByName } from "../../src/operations.js";
import { createTestStore, type TestStore } from "../../src/testing/index.js";
import { batchStarted, curated, generated } from "../fixtures.js";
import { pipelineDays } from "./support.js";

const TABLES = ["generated_images", "training_sessions", "creation_sessions"];
const rowsOf = (db: { prepare: (sql: string) => { all: () => unknown[] } }) =>
  TABLES.map((t) => db.prepare(`SELECT * FROM ${t} ORDER BY id`).all());
const queriesOf = (q: Parameters<typeof runQueryByName>[0]) =>
  Object.fromEntries(QUERY_NAMES.map((name) => [name, runQueryByName(q, name)]));

/** A full log, and a store that stopped in the middle of it. */
const fullAndStopped = () => {
  const events = pipelineDays(2);
  const middle = Math.floor(events.length / 2);
  const full = createTestStore();
  full.append(events);
  const stopped = createTestStore();
  stopped.append(events.slice(0, middle));
  return { events, middle, full, stopped };
};
const closeAll = (...stores: TestStore[]) => {
  for (const s of stores) s.close();
};

describe("openStoreAsOf", () => {
  it("at a position in the middle of the log gives the rows and query results of a store that stopped there", () => {
    const { middle, full, stopped } = fullAndStopped();
    const past = openStoreAsOf(full, { position: middle });
    expect(past.position).toBe(middle);
    expect(rowsOf(past.db)).toEqual(rowsOf(stopped.db));
    expect(queriesOf(past.queries)).toEqual(queriesOf(stopped.queries));
    expect(Object.keys(queriesOf(past.queries))).toEqual([...QUERY_NAMES]);
    past.close();
    closeAll(full, stopped);
  });

  it("at a time gives the same as the store that stopped at the last event of that time", () => {
    const { events, middle, full, stopped } = fullAndStopped();
    const time = events[middle - 1]?.occurredAt ?? "";
    const past = openStoreAsOf(full.path, { time });
    expect([past.position, past.events]).toEqual([middle, middle]);
    expect(rowsOf(past.db)).toEqual(rowsOf(stopped.db));
    past.close();
    closeAll(full, stopped);
  });

  it("at a time keeps each stream up to its first event that occurred later (a backfilled event counts when it occurred)", () => {
    const store = createTestStore();
    store.append([
      batchStarted("b1", "2026-01-08T09:00:00Z"),
      generated("a.png", "2026-01-08T10:00:00Z"),
      curated("a.png", "2026-01-08T11:00:00Z", { finalScore: 9 }),
    ]);
    // Appended last, but it happened first: a late upload from a pipeline that was offline.
    store.append([
      generated("early.png", "2026-01-08T08:00:00Z"),
      curated("early.png", "2026-01-08T12:00:00Z", { finalScore: 2 }),
    ]);
    const past = openStoreAsOf(store, { time: "2026-01-08T10:30:00Z" });
    expect(past.db.prepare("SELECT filename, status FROM generated_images ORDER BY id").all()).toEqual([
      { filename: "a.png", status: "pending" },
      { filename: "early.png", status: "pending" },
    ]);
    expect(past.position).toBe(4);
    past.close();
    store.close();
  });

  it("at exactly the millisecond a stream's events share keeps all of them, and the events of a millisecond later none", () => {
    const store = createTestStore();
    onTestFinished(store.close);
    const at = "2026-01-08T10:00:00.000Z";
    // A batch often writes a stream's first events in the same millisecond.
    store.append([
      generated("a.png", at),
      curated("a.png", at, { finalScore: 8.5 }),
      curated("a.png", at, { finalScore: 9, isFeatured: true }),
      generated("b.png", at),
      curated("b.png", "2026-01-08T10:00:00.001Z", { finalScore: 3 }),
    ]);
    const past = openStoreAsOf(store, { time: at });
    onTestFinished(past.close);
    expect(
      past.db.prepare("SELECT filename, status, final_score, is_featured FROM generated_images ORDER BY id").all(),
    ).toEqual([
      { filename: "a.png", status: "curated", final_score: 9, is_featured: 1 },
      { filename: "b.png", status: "pending", final_score: null, is_featured: 0 },
    ]);
    expect([past.position, past.events]).toEqual([4, 4]);
  });

  it("refuses an ambiguous or malformed point in time with one clear error", () => {
    const store = createTestStore();
    expect(() => openStoreAsOf(store, {})).toThrow(/exactly one of position or time/);
    expect(() => openStoreAsOf(store, { position: 3, time: "2026-01-08T10:30:00Z" })).toThrow(StoreError);
    expect(() => openStoreAsOf(store, { time: "yesterday" })).toThrow(
      /time must be ISO-8601 with a zone .* got yesterday/,
    );
    expect(() => openStoreAsOf(store, { position: -1 })).toThrow(/non-negative integer, got -1/);
    store.close();
  });
});
