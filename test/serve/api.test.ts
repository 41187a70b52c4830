import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { describe, expect, it } from "vitest";
import { dashboardOf, getJson, storeWith } from "./support.js";

const image = (overrides: Record<string, unknown>) => ({
  negativePrompt: "",
  sourceUrl: null,
  sourceQuery: null,
  generationParams: {},
  seed: null,
  aestheticScore: null,
  clipScore: null,
  technicalScore: null,
  finalScore: null,
  isFeatured: false,
  diversityScore: null,
  imageUrl: null,
  ...overrides,
});
const A = image({
  id: 1,
  filename: "a.png",
  prompt: "a fox in the snow",
  modelId: "sdxl-1.0",
  seed: 7,
  aestheticScore: 9.5,
  clipScore: 0.9,
  technicalScore: 0.8,
  finalScore: 9.1,
  createdAt: "2026-01-08T09:01:00.000Z",
  status: "curated",
  isFeatured: true,
  tags: ["fox", "winter"],
  updatedAt: "2026-01-08T09:02:00.000Z",
});
const B = image({
  id: 2,
  filename: "b.png",
  prompt: "a grey wolf",
  modelId: "sd-1.5",
  finalScore: 3.2,
  createdAt: "2026-01-08T09:03:00.000Z",
  status: "rejected",
  tags: ["wolf"],
  updatedAt: "2026-01-08T09:04:00.000Z",
});
const C = image({
  id: 3,
  filename: "c.png",
  prompt: "an owl at dusk",
  modelId: "sdxl-1.0",
  createdAt: "2026-01-08T09:05:00.000Z",
  status: "pending",
  tags: [],
  updatedAt: "2026-01-08T09:05:00.000Z",
});
const RECORDED = "2026-01-08T12:00:00.000Z";

describe("the dashboard's JSON API on a known log", () => {
  it("GET /api/overview: totals, the quality distribution and the daily trend of the 30 days up to the newest batch", async () => {
    const { app } = dashboardOf(storeWith());
    expect(await getJson(app, "/api/overview")).toEqual({
      status: 200,
      body: {
        asOf: null,
        head: 10,
        totals: {
          events: 10,
          images: 3,
          pending: 1,
          curated: 1,
          rejected: 1,
          featured: 1,
          trainingRuns: 2,
          batches: 1,
        },
        quality: [{ qualityTier: "Excellent", count: 1, avgScore: 9.1 }],
        daily: {
          from: "2025-12-10",
          to: "2026-01-08",
          days: [{ date: "2026-01-08", sessions: 1, created: 3, kept: 1, keepRate: 0.3333, avgScore: 6.15 }],
        },
      },
    });
    const range = await getJson(app, "/api/overview?from=2026-01-09&to=2026-01-31");
    expect(range.body).toMatchObject({ daily: { from: "2026-01-09", to: "2026-01-31", days: [] } });
  });

  it("GET /api/images: best score first, unscored last, paged by an opaque cursor; filters combine", async () => {
    const { app } = dashboardOf(storeWith());
    const first = await getJson(app, "/api/images?limit=2");
    expect(first).toEqual({ status: 200, body: { asOf: null, images: [A, B], next: expect.any(String) } });
    const next = (first.body as { next: string }).next;
    expect(await getJson(app, `/api/images?limit=2&cursor=${next}`)).toEqual({
      status: 200,
      body: { asOf: null, images: [C], next: null },
    });
    expect((await getJson(app, "/api/images?sort=recent")).body).toEqual({ asOf: null, images: [C, B, A], next: null });
    expect((await getJson(app, "/api/images?featured=true")).body).toEqual({ asOf: null, images: [A], next: null });
    expect((await getJson(app, "/api/images?tag=wolf")).body).toEqual({ asOf: null, images: [B], next: null });
    expect((await getJson(app, "/api/images?model=sdxl-1.0&status=pending")).body).toEqual({
      asOf: null,
      images: [C],
      next: null,
    });
    expect((await getJson(app, "/api/images?minScore=3&maxScore=9")).body).toEqual({
      asOf: null,
      images: [B],
      next: null,
    });
  });

  it("GET /api/models: the distinct model ids, in order, paged", async () => {
    const { app } = dashboardOf(storeWith());
    expect((await getJson(app, "/api/models")).body).toEqual({
      asOf: null,
      models: ["sd-1.5", "sdxl-1.0"],
      next: null,
    });
    const page = await getJson(app, "/api/models?limit=1");
    expect(page.body).toEqual({ asOf: null, models: ["sd-1.5"], next: expect.any(String) });
    expect((await getJson(app, `/api/models?limit=1&cursor=${(page.body as { next: string }).next}`)).body).toEqual({
      asOf: null,
      models: ["sdxl-1.0"],
      next: null,
    });
  });

  it("GET /api/training: every run newest first, with its status, loss, duration, dataset and failure reason", async () => {
    const { app } = dashboardOf(storeWith());
    const run = (n: number) => ({
      id: n,
      runId: `run-${n}`,
      name: `run-${n}`,
      modelPath: `models/lora/run-${n}.safetensors`,
      config: {},
      metrics: {},
      finalLoss: null,
    });
    const running = {
      ...run(2),
      status: "running",
      datasetSize: 60,
      trainingSeconds: null,
      startedAt: "2026-01-08T11:00:00.000Z",
      completedAt: null,
      failureReason: null,
    };
    const failed = {
      ...run(1),
      status: "failed",
      datasetSize: 40,
      trainingSeconds: 1800,
      startedAt: "2026-01-08T10:00:00.000Z",
      completedAt: "2026-01-08T10:30:00.000Z",
      failureReason: "CUDA out of memory",
    };
    expect(await getJson(app, "/api/training")).toEqual({
      status: 200,
      body: { asOf: null, runs: [running, failed], next: null },
    });
    const page = await getJson(app, "/api/training?limit=1");
    expect(page.body).toEqual({ asOf: null, runs: [running], next: expect.any(String) });
    expect((await getJson(app, `/api/training?limit=1&cursor=${(page.body as { next: string }).next}`)).body).toEqual({
      asOf: null,
      runs: [failed],
      next: null,
    });
    expect((await getJson(app, "/api/training?status=failed")).body).toEqual({
      asOf: null,
      runs: [failed],
      next: null,
    });
  });

  it("GET /api/events: the log newest first, paged by position, filtered by type, stream and time", async () => {
    const { app } = dashboardOf(storeWith());
    const page = await getJson(app, "/api/events?limit=2");
    expect(page).toEqual({
      status: 200,
      body: {
        events: [
          {
            position: 10,
            eventId: "e10",
            streamId: "training:run-2",
            streamVersion: 1,
            type: "TrainingStarted",
            schemaVersion: 1,
            data: {
              runId: "run-2",
              name: "run-2",
              modelPath: "models/lora/run-2.safetensors",
              config: {},
              datasetSize: 60,
            },
            metadata: {},
            occurredAt: "2026-01-08T11:00:00.000Z",
            recordedAt: RECORDED,
          },
          {
            position: 9,
            eventId: "e9",
            streamId: "training:run-1",
            streamVersion: 2,
            type: "TrainingFailed",
            schemaVersion: 1,
            data: { runId: "run-1", reason: "CUDA out of memory", trainingTimeSeconds: 1800 },
            metadata: {},
            occurredAt: "2026-01-08T10:30:00.000Z",
            recordedAt: RECORDED,
          },
        ],
        next: 9,
      },
    });
    const positions = async (query: string) =>
      ((await getJson(app, `/api/events?${query}`)).body as { events: { position: number }[] }).events.map(
        (e) => e.position,
      );
    expect(await positions("limit=2&cursor=9")).toEqual([8, 7]);
    expect(await positions("cursor=3")).toEqual([2, 1]);
    expect(await positions("type=ImageCurated")).toEqual([5, 3]);
    expect(await positions("type=ImageCurated,BatchStarted")).toEqual([5, 3, 1]);
    expect(await positions("type=ImageCurated&type=BatchFinished")).toEqual([7, 5, 3]);
    expect(await positions("stream=image:b.png")).toEqual([5, 4]);
    expect(await positions("since=2026-01-08T10:00:00Z")).toEqual([10, 9, 8]);
    expect(await positions("until=2026-01-08T09:02:00Z")).toEqual([2, 1]);
    expect(await positions("asOfPosition=4")).toEqual([4, 3, 2, 1]);
    expect(await positions("asOfTime=2026-01-08T09:01:00Z")).toEqual([2, 1]);
  });

  it("GET /api/stream: one stream's whole history in version order", async () => {
    const { app } = dashboardOf(storeWith());
    expect(await getJson(app, "/api/stream?id=image:a.png")).toEqual({
      status: 200,
      body: {
        streamId: "image:a.png",
        events: [
          {
            position: 2,
            eventId: "e2",
            streamId: "image:a.png",
            streamVersion: 1,
            type: "ImageGenerated",
            schemaVersion: 1,
            data: {
              filename: "a.png",
              prompt: "a fox in the snow",
              negativePrompt: "",
              modelId: "sdxl-1.0",
              generationParams: {},
              seed: 7,
              tags: ["fox", "winter"],
            },
            metadata: {},
            occurredAt: "2026-01-08T09:01:00.000Z",
            recordedAt: RECORDED,
          },
          {
            position: 3,
            eventId: "e3",
            streamId: "image:a.png",
            streamVersion: 2,
            type: "ImageCurated",
            schemaVersion: 2,
            data: {
              filename: "a.png",
              status: "curated",
              aestheticScore: 9.5,
              clipScore: 0.9,
              technicalScore: 0.8,
              finalScore: 9.1,
              isFeatured: true,
            },
            metadata: {},
            occurredAt: "2026-01-08T09:02:00.000Z",
            recordedAt: RECORDED,
          },
        ],
        next: null,
      },
    });
    const versions = async (query: string) =>
      (
        (await getJson(app, `/api/stream?${query}`)).body as { events: { streamVersion: number }[]; next: unknown }
      ).events.map((e) => e.streamVersion);
    expect(await versions("id=image:a.png&limit=1&cursor=1")).toEqual([2]);
    expect(await versions("id=image:a.png&asOfPosition=2")).toEqual([1]);
    expect(await versions("id=image:nobody.png")).toEqual([]);
  });

  it("GET /api/health: the log head, each projection's lag, the newest backup and its age; no consumer yet", async () => {
    const store = storeWith();
    const backups = join(dirname(store.path), "backups");
    mkdirSync(backups);
    writeFileSync(join(backups, "store-2026-01-08T18-00-00.000Z.db"), "");
    writeFileSync(join(backups, "store-2026-01-07T18-00-00.000Z.db"), "");
    const { app } = dashboardOf(store);
    const fresh = (projection: string) => ({ projection, state: "fresh", position: 10, lag: 0 });
    const expected = {
      ok: true,
      maxLag: 0,
      maxConsumerLag: 10_000,
      head: 10,
      projections: [fresh("generated_images"), fresh("training_sessions"), fresh("creation_sessions")],
      consumers: [],
      backups: {
        dir: backups,
        count: 2,
        last: { name: "store-2026-01-08T18-00-00.000Z.db", time: "2026-01-08T18:00:00.000Z", ageSeconds: 6 * 3600 },
      },
      database: { path: store.path, bytes: expect.any(Number), walBytes: expect.any(Number) },
      integrity: null,
    };
    expect(await getJson(app, "/api/health")).toEqual({ status: 200, body: expected });
    expect(await getJson(app, "/health")).toEqual({ status: 200, body: expected });
    // An integrity check runs on demand; the health report then carries its verdict.
    const check = await getJson(app, "/api/integrity");
    const verdict = {
      mode: "quick",
      ok: true,
      problems: [],
      checkedAt: "2026-01-09T00:00:00.000Z",
      ms: expect.any(Number),
    };
    expect(check).toEqual({ status: 200, body: verdict });
    expect((await getJson(app, "/health")).body).toEqual({ ...expected, integrity: verdict });
    expect((await getJson(app, "/api/integrity?mode=full")).body).toEqual({ ...verdict, mode: "full" });
  });

  it("answers any page as of a position or a time, from a replay of the log (the live tables at the head)", async () => {
    const { app } = dashboardOf(storeWith());
    expect(await getJson(app, "/api/overview?asOfPosition=3")).toEqual({
      status: 200,
      body: {
        asOf: { position: 3, events: 3, replayMs: expect.any(Number), requested: { position: 3 } },
        head: 3,
        totals: {
          events: 3,
          images: 1,
          pending: 0,
          curated: 1,
          rejected: 0,
          featured: 1,
          trainingRuns: 0,
          batches: 1,
        },
        quality: [{ qualityTier: "Excellent", count: 1, avgScore: 9.1 }],
        daily: {
          from: "2025-12-10",
          to: "2026-01-08",
          days: [{ date: "2026-01-08", sessions: 1, created: 0, kept: 0, keepRate: null, avgScore: null }],
        },
      },
    });
    expect((await getJson(app, "/api/images?asOfTime=2026-01-08T09:03:30Z")).body).toEqual({
      asOf: { position: 4, events: 4, replayMs: expect.any(Number), requested: { time: "2026-01-08T09:03:30.000Z" } },
      images: [A, image({ ...B, finalScore: null, status: "pending", updatedAt: "2026-01-08T09:03:00.000Z" })],
      next: null,
    });
    expect((await getJson(app, "/api/training?asOfPosition=9")).body).toMatchObject({
      runs: [{ runId: "run-1", status: "failed" }],
    });
    expect((await getJson(app, "/api/overview?asOfPosition=99")).body).toMatchObject({
      asOf: { position: 10, events: 10, replayMs: 0 },
      totals: { images: 3 },
    });
  });
});
