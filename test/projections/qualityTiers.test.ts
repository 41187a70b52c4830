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

describe("quality_tiers at the tier boundaries (expected rows written by hand, not by the shared CASE)", () => {
  it("puts a score of exactly 8.0, 6.0 and 4.0 in the tier that starts there, and one just below in the tier under it", () => {
    const store = createTestStore();
    onTestFinished(store.close);
    const scores = { "e.png": 8.0, "g.png": 6.0, "f.png": 4.0, "e-.png": 7.99, "g-.png": 5.99, "f-.png": 3.99 };
    store.append([
      ...Object.keys(scores).map((name) => generated(name, "2026-01-08T10:00:00Z")),
      ...Object.entries(scores).map(([name, finalScore]) => curated(name, "2026-01-08T11:00:00Z", { finalScore })),
    ]);
    expect(store.rows("quality_tiers")).toEqual([
      { tier: "Excellent", images: 1, scored: 1, score_sum: 8.0 },
      { tier: "Fair", images: 2, scored: 2, score_sum: 4.0 + 5.99 },
      { tier: "Good", images: 2, scored: 2, score_sum: 6.0 + 7.99 },
      { tier: "Poor", images: 1, scored: 1, score_sum: 3.99 },
    ]);
    expect(store.queries.qualityDistribution().map((r) => [r.qualityTier, r.count])).toEqual([
      ["Excellent", 1],
      ["Good", 2],
      ["Fair", 2],
      ["Poor", 1],
    ]);
  });

  it("moves an image re-curated from just below a boundary to exactly on it up one tier, and back", () => {
    const store = createTestStore();
    onTestFinished(store.close);
    store.append([
      generated("a.png", "2026-01-08T10:00:00Z"),
      curated("a.png", "2026-01-08T11:00:00Z", { finalScore: 3.5 }),
    ]);
    const tierOf = () => store.queries.qualityDistribution().map((r) => r.qualityTier);
    const steps: [number, string][] = [
      [4.0, "Fair"],
      [6.0, "Good"],
      [8.0, "Excellent"],
      [7.5, "Good"],
      [4.0, "Fair"],
      [0, "Poor"],
    ];
    const seen = steps.map(([finalScore], i) => {
      store.append([curated("a.png", `2026-01-08T12:0${i}:00Z`, { finalScore })]);
      return tierOf();
    });
    expect(seen).toEqual(steps.map(([, tier]) => [tier]));
    // What the image left behind is empty, not negative: every other tier row sums to zero.
    expect(store.rows("quality_tiers").filter((r) => r.tier !== "Poor")).toEqual(
      ["Excellent", "Fair", "Good"].map((tier) => ({ tier, images: 0, scored: 0, score_sum: 0 })),
    );
  });
});
