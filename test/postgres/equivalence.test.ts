import { describe, expect, it } from "vitest";
import { pipelineDay } from "../../src/demo/pipelineDay.js";
import { type AsyncStore, type NewEvent, StoreError } from "../../src/index.js";
import { BACKENDS } from "./backends.js";

const T = (minute: number) => new Date(Date.UTC(2026, 0, 9, 10, minute, 7, 123)).toISOString();

/** Text a store must keep byte for byte: quotes, SQL, escapes, unicode of every plane, controls but NUL. */
const HOSTILE = [
  `it's "quoted" \`back\``,
  "'); DROP TABLE events; --",
  "back\\slash \\u0041 %_ LIKE wildcards",
  "tab\tnew\nline\rcarriage \u0001\u001f",
  "émoji 🎨🦊 \u{1F3F3}\u{FE0F}\u{200D}\u{1F308} 漢字 العربية עברית",
  "zero\u200Bwidth \uFEFF bom \u2028 sep",
  "x".repeat(2000),
];

/** A log with every event type, hostile strings in every text field, extreme numbers, and every curation path. */
const hostileLog = (): NewEvent[] => {
  const events: NewEvent[] = [];
  HOSTILE.forEach((text, i) => {
    const filename = `${text.slice(0, 40).trim()}-${i}.png`;
    const at = T(i);
    events.push(
      {
        type: "ImageGenerated",
        occurredAt: at,
        data: {
          filename,
          prompt: text,
          negativePrompt: text,
          sourceUrl: `https://example.com/${encodeURIComponent(text.slice(0, 20))}`,
          sourceQuery: text,
          modelId: `model-${text.slice(0, 10)}`,
          seed: i === 0 ? Number.MAX_SAFE_INTEGER : -i,
          tags: [text, "b", "a"],
          generationParams: { [text.slice(0, 30)]: text, nested: { z: 1, a: [0.1, 1e-300, 1.5e-7, -0] } },
        },
      },
      {
        type: "ImageCurated",
        occurredAt: T(i + 1),
        data: {
          filename,
          status: i % 3 === 0 ? "rejected" : "curated",
          aestheticScore: (i * 1.37) % 10,
          clipScore: 1 / 3,
          technicalScore: 0.1 + 0.2,
          finalScore: i === 2 ? null : [8, 7.999999999999999, 6, 4, 3.995, 10, 0][i % 7],
          isFeatured: i % 2 === 0,
          diversityScore: i === 4 ? undefined : 2.675,
        },
      },
    );
    if (i % 2 === 1)
      events.push({
        type: "ImageCurated",
        occurredAt: T(i + 2),
        data: { filename, status: "curated", finalScore: 9.125, clipScore: 0.5 },
      });
  });
  events.push(
    {
      type: "TrainingStarted",
      occurredAt: T(20),
      data: {
        runId: HOSTILE[0] ?? "",
        name: HOSTILE[4] ?? "",
        modelPath: "m/ü.safetensors",
        config: { lr: 1e-4, "🦊": [null, true] },
        datasetSize: 0,
      },
    },
    {
      type: "TrainingCompleted",
      occurredAt: T(21),
      data: {
        runId: HOSTILE[0] ?? "",
        finalLoss: 0.1 + 0.2,
        trainingTimeSeconds: 12345.678,
        metrics: { fid: 12.5 },
        modelPath: HOSTILE[3] ?? "",
      },
    },
    { type: "TrainingStarted", occurredAt: T(22), data: { runId: "r-fail", name: "style", modelPath: "m" } },
    {
      type: "TrainingFailed",
      occurredAt: T(23),
      data: { runId: "r-fail", reason: HOSTILE[1] ?? "", trainingTimeSeconds: 0.5 },
    },
    {
      type: "TrainingStarted",
      occurredAt: T(24),
      data: { runId: "r-running", name: HOSTILE[2] ?? "", modelPath: "m" },
    },
    {
      type: "BatchStarted",
      occurredAt: "2026-01-09T23:59:59.999Z",
      data: { batchId: HOSTILE[4] ?? "", theme: HOSTILE[5] ?? null },
    },
    { type: "BatchStarted", occurredAt: "2026-01-10T00:00:00.000Z", data: { batchId: "b-next-day" } },
    {
      type: "BatchFinished",
      occurredAt: T(30),
      data: { batchId: HOSTILE[4] ?? "", imagesCreated: 3, imagesKept: 1, avgScore: 1 / 3 },
    },
    { type: "BatchFinished", occurredAt: T(31), data: { batchId: "b-next-day", imagesCreated: 0, imagesKept: 0 } },
  );
  // Ids of their own: the stores must agree on every column, event_id and hash included.
  return events.map((e, i) => ({ ...e, id: `hostile-${i}` }));
};

const queryResults = async (store: AsyncStore) => ({
  recent: await store.queries.recentHighQualityImages({ minScore: 0, limit: 1000 }),
  recent8: await store.queries.recentHighQualityImages({ minScore: 8 }),
  uncurated: await store.queries.uncuratedImages({ limit: 1000 }),
  uncurated3: await store.queries.uncuratedImages({ limit: 3 }),
  quality: await store.queries.qualityDistribution(),
  training: await store.queries.trainingSessionStatistics(),
  daily: await store.queries.dailyCreationStatistics(),
  daily1: await store.queries.dailyCreationStatistics({ limit: 1 }),
});

/** Emit the same batches into a fresh store of each backend; every outcome, table, query and event read back. */
const runOnBoth = async (batches: NewEvent[][]) =>
  Promise.all(
    BACKENDS.map(async (backend) => {
      const { store, dump } = await backend.open({ clock: () => new Date("2026-01-09T12:00:00.000Z") });
      const outcomes: unknown[] = [];
      for (const batch of batches)
        outcomes.push(
          await store
            .append(batch)
            .catch((e: unknown) => (e instanceof StoreError ? [e.code, e.message] : Promise.reject(e))),
        );
      const events = (await store.readAll({ limit: 100_000 })).events;
      return { outcomes, tables: await dump(), queries: await queryResults(store), events };
    }),
  );

describe("the same log on SQLite and on PostgreSQL", () => {
  it("gives the same rows in every table, the same query rows and the same events for two demo days", async () => {
    const days = [
      pipelineDay({ seed: 42, day: "2026-01-08", imagesPerBatch: [5, 12] }),
      pipelineDay({ seed: 7, day: "2026-01-09", imagesPerBatch: [5, 12] }),
    ];
    // Each day in batches of 25 events, then the first day again: every event a duplicate.
    const batches = [...days.flat(), ...(days[0] ?? [])].reduce<NewEvent[][]>((acc, e, i) => {
      if (i % 25 === 0) acc.push([]);
      acc.at(-1)?.push(e);
      return acc;
    }, []);
    const [sqlite, postgres] = await runOnBoth(batches);
    expect(sqlite?.tables.events?.length).toBeGreaterThan(100);
    expect(sqlite?.queries.quality.length).toBeGreaterThan(0);
    expect(sqlite?.queries.daily.length).toBe(2);
    expect(postgres?.outcomes).toEqual(sqlite?.outcomes);
    expect(postgres?.tables).toEqual(sqlite?.tables);
    expect(postgres?.queries).toEqual(sqlite?.queries);
    expect(postgres?.events).toEqual(sqlite?.events);
  });

  it("gives the same rows for hostile strings, extreme numbers, every event type and refused batches", async () => {
    const log = hostileLog();
    const batches = [
      ...log.map((e) => [e]),
      // Refused on both: the same code and message, nothing written.
      [{ type: "ImageCurated", data: { filename: "never.png", status: "curated" } } as NewEvent],
      [log[0] as NewEvent],
      [{ type: "BatchFinished", data: { batchId: "b-next-day", imagesCreated: 1, imagesKept: 1 } } as NewEvent],
    ];
    const [sqlite, postgres] = await runOnBoth(batches);
    expect(sqlite?.tables.generated_images?.length).toBe(HOSTILE.length);
    expect(postgres?.outcomes).toEqual(sqlite?.outcomes);
    expect(postgres?.tables).toEqual(sqlite?.tables);
    expect(postgres?.queries).toEqual(sqlite?.queries);
    expect(postgres?.events).toEqual(sqlite?.events);
  });
});
