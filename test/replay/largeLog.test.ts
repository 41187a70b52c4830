import { describe, expect, it } from "vitest";
import { pipelineDay } from "../../src/demo/pipelineDay.js";
import { projectionDigests, rebuildProjections } from "../../src/operations.js";
import { createTestStore } from "../../src/testing/index.js";

describe("rebuild on a large log", () => {
  it("equals the live tables on 100,000 events (sha256 of a canonical dump of each table)", () => {
    const store = createTestStore();
    for (let day = 0; store.headPosition() < 100_000; day++) {
      const date = new Date(Date.UTC(2026, 0, 1) + day * 86_400_000).toISOString().slice(0, 10);
      store.append(pipelineDay({ seed: day + 1, day: date, imagesPerBatch: [150, 250] }));
    }
    const live = projectionDigests(store.db);
    const counts = store.db
      .prepare(
        "SELECT (SELECT count(*) FROM generated_images) AS images, (SELECT count(*) FROM creation_sessions) AS batches",
      )
      .get();
    const result = rebuildProjections(store);
    expect(result.events).toBe(store.headPosition());
    expect(result.events).toBeGreaterThanOrEqual(100_000);
    expect(projectionDigests(store.db)).toEqual(live);
    expect(
      store.db
        .prepare(
          "SELECT (SELECT count(*) FROM generated_images) AS images, (SELECT count(*) FROM creation_sessions) AS batches",
        )
        .get(),
    ).toEqual(counts);
    store.close();
  }, 300_000);
});
