import { describe, expect, it, onTestFinished } from "vitest";
import { createTestStore, given } from "../../src/testing/index.js";
import { batchFinished, batchStarted } from "../fixtures.js";
import { expectStoreError } from "../support.js";

describe("creation_sessions projection", () => {
  it("BatchStarted then BatchFinished give the document's example row", () => {
    const store = createTestStore();
    onTestFinished(store.close);
    store.append([
      batchStarted("batch-1", "2026-01-08T09:00:00Z", "landscapes"),
      batchFinished("batch-1", "2026-01-08T09:15:00Z", { imagesCreated: 5, imagesKept: 2, avgScore: 6.8 }),
    ]);
    expect(store.rows("creation_sessions")).toEqual([
      {
        id: 1,
        batch_id: "batch-1",
        theme: "landscapes",
        images_created: 5,
        images_kept: 2,
        avg_score: 6.8,
        started_at: "2026-01-08T09:00:00.000Z",
        completed_at: "2026-01-08T09:15:00.000Z",
        updated_at: "2026-01-08T09:15:00.000Z",
      },
    ]);
  });

  it("a started batch has zero images and no completion time yet", () => {
    given([])
      .when(batchStarted("b", "2026-01-08T09:00:00Z"))
      .then({
        creation_sessions: [{ theme: null, images_created: 0, images_kept: 0, avg_score: null, completed_at: null }],
      });
  });

  it("keeps updated_at at the latest event time when a batch finishes with an earlier time (a backfilled end)", () => {
    given([batchStarted("b", "2026-01-08T09:00:00Z")])
      .when(batchFinished("b", "2026-01-08T08:30:00Z", { imagesCreated: 1, imagesKept: 1 }))
      .then({
        creation_sessions: [{ completed_at: "2026-01-08T08:30:00.000Z", updated_at: "2026-01-08T09:00:00.000Z" }],
      });
  });

  it("BatchFinished for a batch whose row is gone is PROJECTION_INVARIANT, and nothing is written", () => {
    const store = createTestStore();
    onTestFinished(store.close);
    store.append([batchStarted("b", "2026-01-08T09:00:00Z")]);
    store.db.exec("DELETE FROM creation_sessions");
    const head = store.headPosition();
    expectStoreError(
      () => store.append([batchFinished("b", "2026-01-08T10:00:00Z")]),
      "PROJECTION_INVARIANT",
      /creation_sessions has no row for batch:b while projecting BatchFinished/,
    );
    expect(store.headPosition()).toBe(head);
  });
});
