import { describe, expect, it, onTestFinished } from "vitest";
import { createTestStore, given } from "../../src/testing/index.js";
import { batchFinished, batchStarted } from "../fixtures.js";

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
});
