import { afterEach } from "vitest";
import { type NewEvent, openStore, type Store } from "../../src/index.js";
import { createDashboardApp, type DashboardOptions } from "../../src/serve/app.js";
import { createTestStore, type TestStore } from "../../src/testing/index.js";
import { batchFinished, batchStarted, curated, generated, trainingStarted } from "../fixtures.js";

/**
 * A small known log: a batch of three images (one curated and featured, one rejected, one
 * pending), a training run that fails and one still running. Every event has its id and time.
 */
export const KNOWN_LOG: NewEvent[] = [
  { ...batchStarted("b1", "2026-01-08T09:00:00Z", "forests"), id: "e1" },
  {
    ...generated("a.png", "2026-01-08T09:01:00Z", {
      prompt: "a fox in the snow",
      modelId: "sdxl-1.0",
      seed: 7,
      tags: ["fox", "winter"],
    }),
    id: "e2",
  },
  {
    ...curated("a.png", "2026-01-08T09:02:00Z", {
      finalScore: 9.1,
      aestheticScore: 9.5,
      clipScore: 0.9,
      technicalScore: 0.8,
      isFeatured: true,
    }),
    id: "e3",
  },
  {
    ...generated("b.png", "2026-01-08T09:03:00Z", { prompt: "a grey wolf", modelId: "sd-1.5", tags: ["wolf"] }),
    id: "e4",
  },
  { ...curated("b.png", "2026-01-08T09:04:00Z", { status: "rejected", finalScore: 3.2 }), id: "e5" },
  { ...generated("c.png", "2026-01-08T09:05:00Z", { prompt: "an owl at dusk", modelId: "sdxl-1.0" }), id: "e6" },
  { ...batchFinished("b1", "2026-01-08T09:06:00Z", { imagesCreated: 3, imagesKept: 1, avgScore: 6.15 }), id: "e7" },
  { ...trainingStarted("run-1", "2026-01-08T10:00:00Z", { datasetSize: 40 }), id: "e8" },
  {
    type: "TrainingFailed",
    occurredAt: "2026-01-08T10:30:00Z",
    data: { runId: "run-1", reason: "CUDA out of memory", trainingTimeSeconds: 1800 },
    id: "e9",
  },
  { ...trainingStarted("run-2", "2026-01-08T11:00:00Z", { datasetSize: 60 }), id: "e10" },
];

const opened: { close(): void }[] = [];
afterEach(() => {
  for (const x of opened.splice(0).reverse()) x.close();
});

/** A test store holding `events`, closed (and deleted) after the test. */
export const storeWith = (events: readonly NewEvent[] = KNOWN_LOG): TestStore => {
  const store = createTestStore();
  opened.push(store);
  if (events.length > 0) store.append(events);
  return store;
};

/** The dashboard app over a read-only connection to the store's file, closed after the test. */
export const dashboardOf = (store: Store, options: Omit<DashboardOptions, "store"> = {}) => {
  const readOnly = openStore({ url: store.path, readOnly: true, stale: "ignore" });
  const dashboard = createDashboardApp({
    now: () => new Date("2026-01-09T00:00:00.000Z"),
    ...options,
    store: readOnly,
  });
  opened.push(readOnly, dashboard);
  return { ...dashboard, store: readOnly };
};

/** GET a path of the app: the status and the parsed JSON body. */
export const getJson = async (
  app: ReturnType<typeof createDashboardApp>["app"],
  path: string,
): Promise<{ status: number; body: unknown }> => {
  const response = await app.request(path);
  return { status: response.status, body: await response.json() };
};
