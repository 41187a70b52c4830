import { describe, expect, it, onTestFinished } from "vitest";
import { workload } from "../../src/demo/workload.js";
import type { Store } from "../../src/index.js";
import { DailyCreationRow, DOCUMENT_DAILY_CREATION_SQL } from "../../src/queries/creationSessions.js";
import { createTestStore } from "../../src/testing/index.js";
import { batchFinished, batchStarted } from "../fixtures.js";

const documentAnswer = (store: Store) =>
  store.db
    .prepare(DOCUMENT_DAILY_CREATION_SQL)
    .all()
    .map((r) => DailyCreationRow.parse(r));

describe("creation_days answers the document's Daily Creation Statistics", () => {
  it("gives exactly the document's rows on a realistic log, checked after every append", () => {
    const store = createTestStore();
    onTestFinished(store.close);
    // Batches every ~35 min of images; 6,000 images span several days, the last batches still open.
    const events = [...workload({ images: 6000, seed: 5, imagesPerBatch: [20, 60], pendingShare: 0.02 })];
    for (let i = 0; i < events.length; i += 500) {
      store.append(events.slice(i, i + 500));
      expect(store.queries.dailyCreationStatistics()).toEqual(documentAnswer(store));
    }
    expect(documentAnswer(store).length).toBeGreaterThan(1);
  });

  it("counts a started batch on its day with nothing yet, and adds its figures once it finishes", () => {
    const store = createTestStore();
    onTestFinished(store.close);
    store.append([batchStarted("b1", "2026-01-08T23:50:00Z"), batchStarted("b2", "2026-01-08T09:00:00Z")]);
    expect(store.queries.dailyCreationStatistics()).toEqual([
      { date: "2026-01-08", sessions: 2, totalCreated: 0, totalKept: 0, avgQuality: null },
    ]);
    store.append([
      batchFinished("b1", "2026-01-09T00:20:00Z", { imagesCreated: 5, imagesKept: 2, avgScore: 6.8 }),
      batchFinished("b2", "2026-01-09T00:30:00Z", { imagesCreated: 4, imagesKept: 3, avgScore: 7.25 }),
    ]);
    expect(store.queries.dailyCreationStatistics()).toEqual([
      { date: "2026-01-08", sessions: 2, totalCreated: 9, totalKept: 5, avgQuality: 7.03 },
    ]);
    expect(store.queries.dailyCreationStatistics()).toEqual(documentAnswer(store));
  });

  it("averages a day over the batches that have an average score, as the document's AVG skips NULL", () => {
    const store = createTestStore();
    onTestFinished(store.close);
    store.append([
      batchStarted("b1", "2026-01-08T09:00:00Z"),
      batchStarted("b2", "2026-01-08T10:00:00Z"),
      batchStarted("b3", "2026-01-08T11:00:00Z"),
      batchFinished("b1", "2026-01-08T09:30:00Z", { imagesCreated: 4, imagesKept: 2, avgScore: 6 }),
      batchFinished("b2", "2026-01-08T10:30:00Z", { imagesCreated: 3, imagesKept: 0, avgScore: null }),
      batchFinished("b3", "2026-01-08T11:30:00Z", { imagesCreated: 2, imagesKept: 1, avgScore: 8 }),
    ]);
    expect(store.rows("creation_days")).toEqual([
      { day: "2026-01-08", sessions: 3, images_created: 9, images_kept: 3, avg_score_sum: 14, avg_scores: 2 },
    ]);
    expect(store.queries.dailyCreationStatistics()).toEqual([
      { date: "2026-01-08", sessions: 3, totalCreated: 9, totalKept: 3, avgQuality: 7 },
    ]);
    expect(documentAnswer(store)).toEqual(store.queries.dailyCreationStatistics());
  });
});
