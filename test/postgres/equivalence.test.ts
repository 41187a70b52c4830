import { describe, expect, it } from "vitest";
import { openConnection } from "../../src/db/connection.js";
import { pipelineDay } from "../../src/demo/pipelineDay.js";
import { chainHash } from "../../src/events/chain.js";
import { type AsyncStore, type NewEvent, openStore, StoreError } from "../../src/index.js";
import { openPool } from "../../src/postgres/connection.js";
import { rebuildPostgresProjections } from "../../src/postgres/rebuildProjections.js";
import { rebuildProjections } from "../../src/replay/rebuildProjections.js";
import { curated, generated } from "../fixtures.js";
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

/** An ImageCurated as code before schema version 2 wrote it (no diversityScore), with its place in the chain. */
const v1Curation = (previous: { position: number; hash: string }, filename: string, version: number) => {
  const at = "2026-01-08T12:30:00.000Z";
  const data = JSON.stringify({ filename, status: "curated", finalScore: 8.5, isFeatured: false });
  const row = [
    previous.position + 1,
    `v1-${filename}`,
    `image:${filename}`,
    version,
    "ImageCurated",
    1,
    data,
    "{}",
    at,
    at,
  ];
  return { row, hash: chainHash(previous.hash, row) };
};
const INSERT_V1 =
  "INSERT INTO events (position, event_id, stream_id, stream_version, type, schema_version, data, metadata, occurred_at, recorded_at, hash) VALUES ";

describe("v1 events written before the payload's schema changed", () => {
  it("are upcast alike: the same rows after a rebuild on each backend, and a retry of one is a duplicate on both", async () => {
    const results = await Promise.all(
      BACKENDS.map(async (backend) => {
        const { store, dump, url } = await backend.open({ clock: () => new Date("2026-01-09T12:00:00.000Z") });
        // Ids of their own: the stores must agree on every column, event_id and hash included.
        await store.append([
          { ...generated("a.png", "2026-01-08T12:00:00Z"), id: "gen-a" },
          { ...generated("b.png", "2026-01-08T12:01:00Z"), id: "gen-b" },
        ]);
        const [last] = (await store.readAll({ limit: 100 })).events.slice(-1);
        const head = { position: last?.position ?? 0, hash: (await dump()).events?.at(-1)?.hash as string };
        const { row, hash } = v1Curation(head, "a.png", 2);
        // Written as the old code did, under the store's back: the projections learn of it by a rebuild.
        if (backend.name === "sqlite") {
          const db = openConnection(url.slice("sqlite:".length));
          db.prepare(`${INSERT_V1}(${row.map(() => "?").join(", ")}, ?)`).run(...row, hash);
          db.close();
          const sync = openStore({ url: url.slice("sqlite:".length), stale: "ignore" });
          rebuildProjections(sync);
          sync.close();
        } else {
          const pool = openPool(url, 1);
          await pool.query(`${INSERT_V1}(${[...row, hash].map((_, i) => `$${i + 1}`).join(", ")})`, [...row, hash]);
          await pool.end();
          await rebuildPostgresProjections(url);
        }
        const retry = await store.append([
          { ...curated("a.png", "2026-01-08T12:30:00Z", { finalScore: 8.5 }), id: "v1-a.png" },
        ]);
        await store.append([
          { ...curated("b.png", "2026-01-08T12:40:00Z", { finalScore: 7, diversityScore: 3 }), id: "cur-b" },
        ]);
        const events = (await store.readAll({ limit: 100 })).events;
        return { retry, tables: await dump(), queries: await queryResults(store), events };
      }),
    );
    const [sqlite, postgres] = results;
    expect(sqlite?.retry).toMatchObject([{ duplicate: true, position: 3 }]);
    expect(sqlite?.events[2]).toMatchObject({ schemaVersion: 1, data: { diversityScore: null, finalScore: 8.5 } });
    expect(sqlite?.queries.recent).toEqual([
      expect.objectContaining({ filename: "b.png", finalScore: 7, diversityScore: 3 }),
      expect.objectContaining({ filename: "a.png", finalScore: 8.5, diversityScore: null }),
    ]);
    expect(postgres?.retry).toEqual(sqlite?.retry);
    expect(postgres?.tables).toEqual(sqlite?.tables);
    expect(postgres?.queries).toEqual(sqlite?.queries);
    expect(postgres?.events).toEqual(sqlite?.events);
  });
});
