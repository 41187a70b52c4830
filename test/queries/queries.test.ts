import { describe, expect, it, onTestFinished } from "vitest";
import type { NewEvent } from "../../src/index.js";
import { createTestStore } from "../../src/testing/index.js";
import { batchFinished, batchStarted, curated, generated, trainingStarted } from "../fixtures.js";

/** A small known day: five images (scored across every tier), two runs, three batches over two days. */
const knownLog: NewEvent[] = [
  trainingStarted("r1", "2026-01-05T10:00:00Z", { name: "landscape_v1", datasetSize: 75 }),
  {
    type: "TrainingCompleted",
    occurredAt: "2026-01-05T12:00:00Z",
    data: { runId: "r1", finalLoss: 0.0234, trainingTimeSeconds: 7200 },
  },
  trainingStarted("r2", "2026-01-06T10:00:00Z", { name: "portrait_v1", datasetSize: 40 }),
  {
    type: "TrainingFailed",
    occurredAt: "2026-01-06T10:30:00Z",
    data: { runId: "r2", reason: "OOM", trainingTimeSeconds: 1800 },
  },
  batchStarted("b1", "2026-01-07T09:00:00Z", "landscapes"),
  batchFinished("b1", "2026-01-07T09:15:00Z", { imagesCreated: 5, imagesKept: 2, avgScore: 6.8 }),
  batchStarted("b2", "2026-01-08T09:00:00Z", "portraits"),
  batchFinished("b2", "2026-01-08T09:20:00Z", { imagesCreated: 4, imagesKept: 3, avgScore: 7.25 }),
  batchStarted("b3", "2026-01-08T15:00:00Z", "abstract"),
  generated("a.png", "2026-01-08T10:00:00Z"),
  generated("b.png", "2026-01-08T11:00:00Z"),
  generated("c.png", "2026-01-08T12:00:00Z"),
  generated("d.png", "2026-01-08T13:00:00Z"),
  generated("e.png", "2026-01-08T14:00:00Z"),
  generated("f.png", "2026-01-08T15:00:00Z"),
  curated("a.png", "2026-01-08T16:00:00Z", { finalScore: 8.5 }),
  curated("b.png", "2026-01-08T16:00:00Z", { finalScore: 7.0 }),
  curated("c.png", "2026-01-08T16:00:00Z", { finalScore: 9.1, status: "rejected" }),
  curated("d.png", "2026-01-08T16:00:00Z", { finalScore: 4.5 }),
  curated("e.png", "2026-01-08T16:00:00Z", { finalScore: 2.0 }),
];

const storeWithKnownLog = () => {
  const store = createTestStore();
  onTestFinished(store.close);
  store.append(knownLog);
  return store;
};

describe("the five documented queries", () => {
  it("recentHighQualityImages: curated, score ≥ 7.0, newest first", () => {
    const q = storeWithKnownLog().queries;
    expect(q.recentHighQualityImages().map((r) => [r.filename, r.finalScore, r.status])).toEqual([
      ["b.png", 7.0, "curated"],
      ["a.png", 8.5, "curated"],
    ]);
    expect(q.recentHighQualityImages({ minScore: 8 }).map((r) => r.filename)).toEqual(["a.png"]);
    expect(q.recentHighQualityImages({ limit: 1 }).map((r) => r.filename)).toEqual(["b.png"]);
  });

  it("recentHighQualityImages returns whole typed rows (JSON parsed, booleans real)", () => {
    const [row] = storeWithKnownLog().queries.recentHighQualityImages({ minScore: 8 });
    expect(row).toEqual({
      id: 1,
      filename: "a.png",
      prompt: "a painting of a.png",
      negativePrompt: "",
      sourceUrl: null,
      sourceQuery: null,
      modelId: "sdxl-1.0",
      generationParams: {},
      seed: null,
      aestheticScore: null,
      clipScore: null,
      technicalScore: null,
      finalScore: 8.5,
      createdAt: "2026-01-08T10:00:00.000Z",
      status: "curated",
      isFeatured: false,
      tags: [],
      updatedAt: "2026-01-08T16:00:00.000Z",
      diversityScore: null,
    });
  });

  it("uncuratedImages: pending images, oldest first, with id, filename and prompt", () => {
    const store = storeWithKnownLog();
    store.append([generated("g.png", "2026-01-08T09:00:00Z")]);
    expect(store.queries.uncuratedImages()).toEqual([
      { id: 7, filename: "g.png", prompt: "a painting of g.png" },
      { id: 6, filename: "f.png", prompt: "a painting of f.png" },
    ]);
    expect(store.queries.uncuratedImages({ limit: 1 })).toEqual([
      { id: 7, filename: "g.png", prompt: "a painting of g.png" },
    ]);
  });

  it("qualityDistribution: curated images per tier, best tier first", () => {
    expect(storeWithKnownLog().queries.qualityDistribution()).toEqual([
      { qualityTier: "Excellent", count: 1, avgScore: 8.5 },
      { qualityTier: "Good", count: 1, avgScore: 7.0 },
      { qualityTier: "Fair", count: 1, avgScore: 4.5 },
      { qualityTier: "Poor", count: 1, avgScore: 2.0 },
    ]);
  });

  it("trainingSessionStatistics: newest run first, duration in hours", () => {
    expect(storeWithKnownLog().queries.trainingSessionStatistics()).toEqual([
      { name: "portrait_v1", datasetSize: 40, finalLoss: null, trainingHours: 0.5, status: "failed" },
      { name: "landscape_v1", datasetSize: 75, finalLoss: 0.0234, trainingHours: 2, status: "completed" },
    ]);
  });

  it("dailyCreationStatistics: one row per UTC day, newest first", () => {
    expect(storeWithKnownLog().queries.dailyCreationStatistics()).toEqual([
      { date: "2026-01-08", sessions: 2, totalCreated: 4, totalKept: 3, avgQuality: 7.25 },
      { date: "2026-01-07", sessions: 1, totalCreated: 5, totalKept: 2, avgQuality: 6.8 },
    ]);
  });
});

describe("reading the log", () => {
  it("reads one stream in version order", () => {
    const store = storeWithKnownLog();
    expect(store.readStream("training:r1").map((e) => [e.streamVersion, e.type])).toEqual([
      [1, "TrainingStarted"],
      [2, "TrainingCompleted"],
    ]);
    expect(store.readStream("image:a.png", { fromVersion: 2 }).map((e) => e.type)).toEqual(["ImageCurated"]);
    expect(store.readStream("image:nope.png")).toEqual([]);
  });

  it("pages through the whole log from a global position", () => {
    const store = storeWithKnownLog();
    const first = store.readAll({ limit: 8 });
    expect(first.events.map((e) => e.position)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(first.next).toBe(8);
    const rest = store.readAll({ after: first.next, limit: 100 });
    expect(rest.events.map((e) => e.position)).toEqual(Array.from({ length: 12 }, (_, i) => i + 9));
    expect(rest.next).toBeUndefined();
    expect(store.readAll({ after: 3, to: 5 }).events.map((e) => e.position)).toEqual([4, 5]);
  });

  it("iterates the whole log page by page, in position order", () => {
    const store = storeWithKnownLog();
    const events = [...store.iterateAll({ pageSize: 3 })];
    expect(events.map((e) => e.position)).toEqual(Array.from({ length: knownLog.length }, (_, i) => i + 1));
    expect(events.map((e) => e.type)).toEqual(knownLog.map((e) => e.type));
    expect([...store.iterateAll({ after: 18 })].map((e) => e.position)).toEqual([19, 20]);
    expect(store.headPosition()).toBe(20);
  });
});
