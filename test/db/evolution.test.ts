import { execFileSync } from "node:child_process";
import { copyFileSync, mkdirSync, readdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { resolveBinary } from "dbmate";
import { describe, expect, it } from "vitest";
import { type Db, openConnection } from "../../src/db/connection.js";
import { migrationsDir } from "../../src/db/paths.js";
import { migrateDatabase } from "../../src/events/backfillChain.js";
import { EVENT_COLUMNS } from "../../src/events/readEvents.js";
import { rebuildProjections } from "../../src/replay/rebuildProjections.js";
import { projectionDigests } from "../../src/replay/tables.js";
import { openStore } from "../../src/store/openStore.js";
import { createTestStore } from "../../src/testing/index.js";
import { curated, generated } from "../fixtures.js";
import { rollBackFrom } from "../support.js";

/** The schema objects of generated_images as a set of migrations leaves them. */
const imageSchema = (db: Db) =>
  db.prepare("SELECT type, name, sql FROM sqlite_master WHERE tbl_name = 'generated_images' ORDER BY name").all();

const DIVERSITY = "20260102000002";

/** Roll back until the diversity migration (and whatever came after it) is undone. */
const rollBackDiversity = (path: string) => rollBackFrom(path, DIVERSITY);

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
    // The log as the releases before the chain held it (the chain's own migration is undone on the way down).
    const LOG = `SELECT ${EVENT_COLUMNS} FROM events ORDER BY position`;
    const log = store.db.prepare(LOG).all();
    const hashes = store.db.prepare("SELECT hash FROM events ORDER BY position").pluck().all();
    store.db.close();

    rollBackDiversity(store.path);
    const down = openConnection(store.path);
    const previous = openConnection(previousRelease(dirname(store.path)));
    expect(imageSchema(down)).toEqual(imageSchema(previous));
    expect(down.prepare("SELECT filename, final_score FROM generated_images ORDER BY id").all()).toEqual([
      { filename: "a.png", final_score: 8 },
      { filename: "b.png", final_score: 6 },
    ]);
    expect(down.prepare(LOG).all()).toEqual(log);
    expect(down.prepare("SELECT projection FROM projection_state").pluck().all()).not.toContain("generated_images");
    down.close();
    previous.close();
    expect(() => openStore({ url: store.path })).toThrow(
      /pending migration\(s\) \(20260102000002.*\): run `npx artist-store migrate --db [^`]+`/,
    );

    migrateDatabase(store.path);
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
    // Going up again computes the chain afresh: the same hashes the appends wrote.
    expect(up.db.prepare("SELECT hash FROM events ORDER BY position").pluck().all()).toEqual(hashes);
    expect(up.projectionStatus().map((s) => s.state)).toEqual(["fresh", "fresh", "fresh"]);
    up.close();
    store.close();
  });
});
