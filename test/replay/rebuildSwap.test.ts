import { describe, expect, it, onTestFinished } from "vitest";
import { z } from "zod";
import type { Db } from "../../src/db/connection.js";
import { columnsOf, keyOf, quote } from "../../src/db/tableInfo.js";
import type { NewEvent } from "../../src/index.js";
import { projectionDigests, rebuildProjections } from "../../src/operations.js";
import { createTestStore } from "../../src/testing/index.js";
import { batchFinished, batchStarted, curated, generated, trainingStarted } from "../fixtures.js";

/** A small log that gives every column of every projection table a value, most of them not null. */
const LOG: NewEvent[] = [
  generated("a.png", "2026-01-08T10:00:00Z", {
    negativePrompt: "blurry",
    sourceUrl: "https://example.com/a",
    sourceQuery: "fox",
    generationParams: { steps: 30 },
    seed: 42,
    tags: ["fox"],
  }),
  curated("a.png", "2026-01-08T10:05:00Z", {
    aestheticScore: 8.5,
    clipScore: 0.5,
    technicalScore: 0.75,
    finalScore: 8.5,
    diversityScore: 3,
    isFeatured: true,
  }),
  ...[
    ["b.png", 6.5],
    ["c.png", 4.5],
    ["d.png", 2.5],
  ].flatMap(([name, finalScore]) => [
    generated(String(name), "2026-01-08T10:01:00Z"),
    curated(String(name), "2026-01-08T10:06:00Z", { finalScore: Number(finalScore) }),
  ]),
  trainingStarted("r1", "2026-01-08T11:00:00Z", { config: { lr: 0.0001 }, datasetSize: 40 }),
  {
    type: "TrainingCompleted",
    occurredAt: "2026-01-08T12:00:00Z",
    data: { runId: "r1", finalLoss: 0.25, trainingTimeSeconds: 3600, metrics: { steps: 1000 } },
  },
  trainingStarted("r2", "2026-01-08T11:30:00Z"),
  {
    type: "TrainingFailed",
    occurredAt: "2026-01-08T11:45:00Z",
    data: { runId: "r2", reason: "out of memory", trainingTimeSeconds: 900 },
  },
  batchStarted("b1", "2026-01-08T09:00:00Z", "winter"),
  batchFinished("b1", "2026-01-08T13:00:00Z", { imagesCreated: 4, imagesKept: 3, avgScore: 6.5 }),
];

/**
 * Values to try in place of `value`, in order: another of the same kind first,
 * then values of other kinds. The first one the table's CHECKs take is used.
 */
const candidates = (value: unknown, others: unknown[]): unknown[] => {
  if (typeof value === "number") return [value + 1, value - 1, value / 2, value + 0.5, null];
  if (typeof value === "string") return [...others, `${value}~`, "{}", "[]", "rejected", "failed", "Poor", null, 1];
  return [1, 0, "x", "{}"];
};

/**
 * Change one column of one row, and nothing else, by deleting the row and
 * inserting it again (the identity triggers refuse an UPDATE of created_at).
 * Returns the value written, or undefined when no candidate passed the CHECKs.
 */
const tamper = (db: Db, table: string, column: string): unknown => {
  const key = keyOf(db, table);
  const t = quote(table);
  const order = key.map(quote).join(", ");
  const row = z.record(z.string(), z.unknown()).parse(db.prepare(`SELECT * FROM ${t} ORDER BY ${order} LIMIT 1`).get());
  const others = db
    .prepare(`SELECT DISTINCT ${quote(column)} FROM ${t} WHERE ${quote(column)} IS NOT ?`)
    .pluck()
    .all(row[column]);
  const columns = columnsOf(db, table);
  const insert = db.prepare(
    `INSERT INTO ${t} (${columns.map(quote).join(", ")}) VALUES (${columns.map(() => "?").join(", ")})`,
  );
  const remove = db.prepare(`DELETE FROM ${t} WHERE ${key.map((k) => `${quote(k)} = ?`).join(" AND ")}`);
  for (const value of candidates(row[column], others)) {
    if (value === row[column]) continue;
    try {
      db.transaction(() => {
        remove.run(key.map((k) => row[k]));
        insert.run(columns.map((c) => (c === column ? value : row[c])));
      })();
      return value;
    } catch {
      // This candidate breaks a CHECK or a UNIQUE: try the next.
    }
  }
  return undefined;
};

describe("rebuild swaps in every column", () => {
  it("replaces a live row that differs from the log in one column only, for each column of each projection table", () => {
    const store = createTestStore();
    onTestFinished(store.close);
    store.append(LOG);
    const replayed = projectionDigests(store.db);
    const unfixed: string[] = [];
    let tampered = 0;
    for (const table of Object.keys(replayed)) {
      const key = keyOf(store.db, table);
      for (const column of columnsOf(store.db, table).filter((c) => !key.includes(c))) {
        const written = tamper(store.db, table, column);
        expect(written, `${table}.${column}: no value to tamper with`).not.toBeUndefined();
        expect(projectionDigests(store.db)[table], `${table}.${column} = ${String(written)}`).not.toBe(replayed[table]);
        tampered++;
        rebuildProjections(store);
        if (projectionDigests(store.db)[table] !== replayed[table]) {
          unfixed.push(`${table}.${column}`);
          // Start the next column from the replayed tables: a swap inserts every row a table lacks.
          store.db.exec(`DELETE FROM ${quote(table)}`);
          rebuildProjections(store);
        }
      }
    }
    expect(unfixed).toEqual([]);
    // Non-key columns: generated_images 18, quality_tiers 3, training_sessions 13, creation_sessions 8, creation_days 5.
    expect(tampered).toBe(18 + 3 + 13 + 8 + 5);
    expect(projectionDigests(store.db)).toEqual(replayed);
  });
});
