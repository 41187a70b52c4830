import { execFileSync } from "node:child_process";
import { copyFileSync, mkdirSync, readdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { resolveBinary } from "dbmate";
import { describe, expect, it } from "vitest";
import { type Db, openConnection } from "../../src/db/connection.js";
import { appliedMigrations, runDbmate } from "../../src/db/migrations.js";
import { migrationsDir } from "../../src/db/paths.js";
import { openStore, projectionDigests, rebuildProjections, upcast } from "../../src/index.js";
import { createTestStore, type TestStore } from "../../src/testing/index.js";
import { curated, generated } from "../fixtures.js";

/** An ImageCurated as code before schema version 2 wrote it: no diversityScore, schema_version 1. */
const insertV1Curation = (store: TestStore, filename: string, version: number, finalScore: number) =>
  store.db
    .prepare(
      `INSERT INTO events (event_id, stream_id, stream_version, type, schema_version, data, occurred_at, recorded_at)
       VALUES (@id, @stream, @version, 'ImageCurated', 1, @data, '2026-01-08T12:30:00.000Z', '2026-01-08T12:30:00.000Z')`,
    )
    .run({
      id: `v1-${filename}`,
      stream: `image:${filename}`,
      version,
      data: JSON.stringify({ filename, status: "curated", finalScore, isFeatured: false }),
    });

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

/** The schema objects of generated_images as a set of migrations leaves them. */
const imageSchema = (db: Db) =>
  db.prepare("SELECT type, name, sql FROM sqlite_master WHERE tbl_name = 'generated_images' ORDER BY name").all();

const DIVERSITY = "20260102000002";

/** Roll back until the diversity migration (and whatever came after it) is undone. */
const rollBackDiversity = (path: string) => {
  for (;;) {
    const db = openConnection(path);
    const applied = appliedMigrations(db);
    db.close();
    if ((applied.at(-1) ?? "") < DIVERSITY) return;
    runDbmate(path, ["rollback"]);
  }
};

/** A database migrated by the releases before the diversity migration. */
const previousRelease = (dir: string): string => {
  const migrations = join(dir, "previous-release");
  mkdirSync(migrations);
  for (const f of readdirSync(migrationsDir).filter((f) => f < DIVERSITY))
    copyFileSync(join(migrationsDir, f), join(migrations, f));
  const path = join(dir, "previous.db");
  execFileSync(resolveBinary(), ["--url", `sqlite:${path}`, "--migrations-dir", migrations, "--no-dump-schema", "up"]);
  return path;
};

describe("the diversity_score migration round trip", () => {
  it("up, rebuild, down, up, rebuild: the down restores the previous schema, the log keeps the scores, and a rebuild fills the column again", () => {
    const store = createTestStore();
    store.append([
      generated("a.png", "2026-01-08T12:00:00Z"),
      generated("b.png", "2026-01-08T12:01:00Z"),
      curated("a.png", "2026-01-08T12:05:00Z", { finalScore: 8, diversityScore: 7.25 }),
      curated("b.png", "2026-01-08T12:06:00Z", { finalScore: 6 }),
    ]);
    rebuildProjections(store);
    const before = projectionDigests(store.db);
    const log = store.db.prepare("SELECT * FROM events ORDER BY position").all();
    store.db.close();

    rollBackDiversity(store.path);
    const down = openConnection(store.path);
    const previous = openConnection(previousRelease(dirname(store.path)));
    expect(imageSchema(down)).toEqual(imageSchema(previous));
    expect(down.prepare("SELECT filename, final_score FROM generated_images ORDER BY id").all()).toEqual([
      { filename: "a.png", final_score: 8 },
      { filename: "b.png", final_score: 6 },
    ]);
    expect(down.prepare("SELECT * FROM events ORDER BY position").all()).toEqual(log);
    expect(down.prepare("SELECT projection FROM projection_state").pluck().all()).not.toContain("generated_images");
    down.close();
    previous.close();
    expect(() => openStore({ url: store.path })).toThrow(
      /pending migration\(s\) \(20260102000002.*\): run `npx artist-store migrate --db [^`]+`/,
    );

    runDbmate(store.path, ["up"]);
    const warnings: string[] = [];
    const up = openStore({ url: store.path, onWarning: (m) => warnings.push(m) });
    // Later migrations that add summary tables (quality_tiers, creation_days) forget their projections too.
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/generated_images \(no record of the code that built it\)/);
    expect(warnings[0]).toMatch(/run `npx artist-store rebuild --db [^`]+`/);
    expect(up.db.prepare("SELECT diversity_score FROM generated_images ORDER BY id").pluck().all()).toEqual([
      null,
      null,
    ]);
    rebuildProjections(up);
    expect(up.db.prepare("SELECT diversity_score FROM generated_images ORDER BY id").pluck().all()).toEqual([
      7.25,
      null,
    ]);
    expect(projectionDigests(up.db)).toEqual(before);
    expect(up.projectionStatus().map((s) => s.state)).toEqual(["fresh", "fresh", "fresh"]);
    up.close();
    store.close();
  });
});
