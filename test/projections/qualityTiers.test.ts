import { describe, expect, it, onTestFinished } from "vitest";
import { workload } from "../../src/demo/workload.js";
import type { NewEvent, Store } from "../../src/index.js";
import { DOCUMENT_QUALITY_DISTRIBUTION_SQL, QualityTierRow } from "../../src/queries/generatedImages.js";
import { createTestStore } from "../../src/testing/index.js";
import { curated, generated } from "../fixtures.js";

const documentAnswer = (store: Store) =>
  store.db
    .prepare(DOCUMENT_QUALITY_DISTRIBUTION_SQL)
    .all()
    .map((r) => QualityTierRow.parse(r));

/**
 * Same tiers, same counts, same averages. The averages are sums of doubles taken
 * in different orders (the document's AVG sums in scan order with compensated
 * summation; quality_tiers adds and takes away in event order), so they may
 * differ in the last bits: with scores ≤ 10 and well under 10^6 additions the
 * relative difference stays below 10^6 × 2^-52 ≈ 2.2e-10. 1e-9 is that bound
 * rounded up, and still seven digits finer than the two-decimal scores.
 */
const expectSameDistribution = (store: Store) => {
  const expected = documentAnswer(store);
  const actual = store.queries.qualityDistribution();
  expect(actual.map((r) => [r.qualityTier, r.count])).toEqual(expected.map((r) => [r.qualityTier, r.count]));
  actual.forEach((row, i) => {
    const want = expected[i]?.avgScore;
    // A missing document row, a null average on either side: only the identical value passes.
    if (want === undefined || want === null || row.avgScore === null) expect(row.avgScore).toBe(want);
    else expect(Math.abs(row.avgScore - want)).toBeLessThanOrEqual(1e-9 * Math.max(1, want));
  });
  return actual;
};

describe("quality_tiers answers the document's Quality Distribution", () => {
  it("gives the document's rows on a realistic log with re-curations, checked after every append", () => {
    const store = createTestStore();
    onTestFinished(store.close);
    const events = [...workload({ images: 3000, seed: 11, recurateShare: 0.25, pendingShare: 0.05 })];
    const recurations = events.filter((e) => e.type === "ImageCurated").length - Math.round(3000 * 0.95);
    expect(recurations).toBeGreaterThan(500);
    for (let i = 0; i < events.length; i += 250) {
      store.append(events.slice(i, i + 250));
      expectSameDistribution(store);
    }
    expect(expectSameDistribution(store).map((r) => r.qualityTier)).toEqual(["Excellent", "Good", "Fair", "Poor"]);
  });

  it("moves an image between tiers when it is curated again, and drops it when rejected", () => {
    const store = createTestStore();
    onTestFinished(store.close);
    const log: NewEvent[] = [
      generated("a.png", "2026-01-08T10:00:00Z"),
      generated("b.png", "2026-01-08T10:00:01Z"),
      curated("a.png", "2026-01-08T11:00:00Z", { finalScore: 8.5 }),
      curated("b.png", "2026-01-08T11:00:00Z", { finalScore: 6.5 }),
    ];
    store.append(log);
    expect(expectSameDistribution(store)).toEqual([
      { qualityTier: "Excellent", count: 1, avgScore: 8.5 },
      { qualityTier: "Good", count: 1, avgScore: 6.5 },
    ]);
    store.append([curated("a.png", "2026-01-08T12:00:00Z", { finalScore: 6.0 })]);
    expect(expectSameDistribution(store)).toEqual([{ qualityTier: "Good", count: 2, avgScore: 6.25 }]);
    store.append([curated("b.png", "2026-01-08T13:00:00Z", { status: "rejected" })]);
    expect(expectSameDistribution(store)).toEqual([{ qualityTier: "Good", count: 1, avgScore: 6.0 }]);
  });

  it("counts a curated image without a score in Poor, with no average, as the document's CASE and AVG do", () => {
    const store = createTestStore();
    onTestFinished(store.close);
    store.append([
      generated("a.png", "2026-01-08T10:00:00Z"),
      curated("a.png", "2026-01-08T11:00:00Z", { finalScore: null }),
    ]);
    expect(expectSameDistribution(store)).toEqual([{ qualityTier: "Poor", count: 1, avgScore: null }]);
  });
});
