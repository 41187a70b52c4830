import { describe, expect, it } from "vitest";
import { upcast } from "../../src/events/upcast.js";
import { rebuildProjections } from "../../src/replay/rebuildProjections.js";
import { createTestStore, type TestStore } from "../../src/testing/index.js";
import { curated, generated } from "../fixtures.js";
import { insertChained } from "../support.js";

/** An ImageCurated as code before schema version 2 wrote it: no diversityScore, schema_version 1. */
const insertV1Curation = (store: TestStore, filename: string, version: number, finalScore: number) =>
  insertChained(
    store.db,
    `INSERT INTO events (event_id, stream_id, stream_version, type, schema_version, data, occurred_at, recorded_at)
     VALUES (@id, @stream, @version, 'ImageCurated', 1, @data, '2026-01-08T12:30:00.000Z', '2026-01-08T12:30:00.000Z')`,
    {
      id: `v1-${filename}`,
      stream: `image:${filename}`,
      version,
      data: JSON.stringify({ filename, status: "curated", finalScore, isFeatured: false }),
    },
  );

describe("ImageCurated schema version 2 (diversityScore)", () => {
  it("upcasts a v1 payload: diversity was not scored", () => {
    expect(upcast("ImageCurated", 1, { filename: "a.png", status: "curated" })).toEqual({
      filename: "a.png",
      status: "curated",
      diversityScore: null,
    });
    expect(upcast("ImageCurated", 2, { filename: "a.png", status: "curated", diversityScore: 4 })).toEqual({
      filename: "a.png",
      status: "curated",
      diversityScore: 4,
    });
  });

  it("reads v1 events in the newest shape, replays them, and treats a retry of one as a duplicate", () => {
    const store = createTestStore();
    store.append([generated("a.png", "2026-01-08T12:00:00Z")]);
    insertV1Curation(store, "a.png", 2, 8.5);
    const [, v1] = store.readStream("image:a.png");
    expect(v1).toMatchObject({
      schemaVersion: 1,
      data: { filename: "a.png", status: "curated", finalScore: 8.5, diversityScore: null },
    });
    rebuildProjections(store);
    expect(store.queries.recentHighQualityImages()).toEqual([
      expect.objectContaining({ filename: "a.png", finalScore: 8.5, diversityScore: null }),
    ]);
    const [retry] = store.append([
      { ...curated("a.png", "2026-01-08T12:30:00Z", { finalScore: 8.5 }), id: "v1-a.png" },
    ]);
    expect(retry).toMatchObject({ duplicate: true, position: 2 });
    store.close();
  });

  it("writes new curations as v2 and projects diversity_score, keeping it when a later curation leaves it out", () => {
    const store = createTestStore();
    store.append([
      generated("a.png", "2026-01-08T12:00:00Z"),
      curated("a.png", "2026-01-08T12:05:00Z", { finalScore: 9, diversityScore: 6.5 }),
    ]);
    store.append([curated("a.png", "2026-01-08T12:10:00Z", { finalScore: 9.5 })]);
    expect(store.db.prepare("SELECT schema_version FROM events WHERE type = 'ImageCurated'").pluck().all()).toEqual([
      2, 2,
    ]);
    expect(store.queries.recentHighQualityImages()).toEqual([
      expect.objectContaining({ finalScore: 9.5, diversityScore: 6.5 }),
    ]);
    expect(() => store.emit.imageCurated({ filename: "a.png", status: "curated", diversityScore: 10.5 })).toThrow(
      /data.diversityScore: Too big/,
    );
    store.close();
  });
});
