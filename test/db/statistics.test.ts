import { statSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { type Db, openConnection } from "../../src/db/connection.js";
import { missingStatistics } from "../../src/db/statistics.js";
import { openStore } from "../../src/index.js";
import { rebuildProjections } from "../../src/operations.js";
import { QUERY_SQL } from "../../src/queries/index.js";
import { createMigratedDatabase } from "../../src/replay/scratch.js";
import { startDashboard } from "../../src/serve/server.js";
import { createTestStore } from "../../src/testing/index.js";
import { cli } from "../cli/run.js";
import { curated, generated } from "../fixtures.js";
import { rollBackFrom, tempDir } from "../support.js";

const QUERIED = ["events", "generated_images", "training_sessions", "creation_sessions"];

/** The indexes sqlite_stat1 has an entry for, as table.index (none when ANALYZE never ran). */
const analyzed = (path: string): string[] => {
  const db = openConnection(path, { readonly: true });
  try {
    if (!db.prepare(`SELECT 1 FROM sqlite_master WHERE name = 'sqlite_stat1'`).get()) return [];
    return z
      .array(z.string())
      .parse(db.prepare(`SELECT tbl || '.' || coalesce(idx, '') FROM sqlite_stat1 ORDER BY 1`).pluck().all());
  } finally {
    db.close();
  }
};

const images = (n: number) =>
  Array.from({ length: n }, (_, i) => {
    const at = `2026-01-08T10:${String(i % 60).padStart(2, "0")}:00Z`;
    return [generated(`i${i}.png`, at), curated(`i${i}.png`, at, { finalScore: (i % 10) + 0.5 })];
  }).flat();

/** A store with images whose statistics are dropped, as a database written before statistics were kept. */
const withoutStatistics = (): string => {
  const path = join(tempDir(), "store.db");
  createMigratedDatabase(path);
  const store = openStore({ url: path });
  store.append(images(50));
  store.close();
  const db = openConnection(path);
  db.exec("DROP TABLE IF EXISTS sqlite_stat1; DROP TABLE IF EXISTS sqlite_stat4");
  db.close();
  return path;
};

const missing = (path: string) => {
  const db: Db = openConnection(path, { readonly: true });
  try {
    return missingStatistics(db, QUERIED).map((m) => m.table);
  } finally {
    db.close();
  }
};

describe("planner statistics", () => {
  it("exist after appends through a store and its close (PRAGMA optimize before closing)", () => {
    const path = join(tempDir(), "store.db");
    createMigratedDatabase(path);
    const store = openStore({ url: path });
    store.append(images(20));
    store.close();
    expect(analyzed(path)).toEqual(
      expect.arrayContaining(["generated_images.idx_status_score", "events.sqlite_autoindex_events_1"]),
    );
    expect(missing(path)).toEqual([]);
  });

  it("exist after `artist-store migrate` applies a pending migration to a database without them", () => {
    const path = withoutStatistics();
    expect(missing(path)).toEqual(["events", "generated_images"]);
    rollBackFrom(path, "20261129000002");
    const r = cli(["migrate", "--db", path]);
    expect(r.code).toBe(0);
    expect(missing(path)).toEqual([]);
  });

  it("exist for the rebuilt tables after a rebuild", () => {
    const path = withoutStatistics();
    const store = openStore({ url: path });
    store.db.exec("DROP TABLE IF EXISTS sqlite_stat1; DROP TABLE IF EXISTS sqlite_stat4");
    rebuildProjections(store);
    expect(missingStatistics(store.db, ["generated_images"])).toEqual([]);
    store.db.close();
  });

  it("are not written by a read-only store, which still reads and closes", () => {
    const path = withoutStatistics();
    const before = statSync(path).mtimeMs;
    const reader = openStore({ url: path, readOnly: true });
    expect(reader.queries.recentHighQualityImages({ minScore: 0 }).length).toBeGreaterThan(0);
    reader.close();
    expect(statSync(path).mtimeMs).toBe(before);
    expect(missing(path)).toEqual(["events", "generated_images"]);
  });

  it("are refreshed for a long-lived read-only store (serve) before it opens, so its own queries plan with them", () => {
    const path = withoutStatistics();
    const reader = openStore({ url: path, readOnly: true, longLived: true });
    reader.keepStatisticsFresh();
    expect(missing(path)).toEqual([]);
    // The planner finds recent images' index by itself only with statistics (the store's SQL names it).
    const unpinned = QUERY_SQL.recentHighQualityImages.replace(" INDEXED BY idx_status_created", "");
    expect(
      reader.db
        .prepare(`EXPLAIN QUERY PLAN ${unpinned}`)
        .all({ minScore: 7, limit: 10 })
        .map((r) => z.object({ detail: z.string() }).parse(r).detail),
    ).toEqual(["SEARCH generated_images USING INDEX idx_status_created (status=?)"]);
    expect(reader.queries.recentHighQualityImages({ minScore: 0 }).length).toBeGreaterThan(0);
    reader.close();
  });

  it("are refreshed when the dashboard starts, which serves from its read-only connection", async () => {
    const path = withoutStatistics();
    const dashboard = await startDashboard({ url: path, port: 0, host: "127.0.0.1" });
    try {
      expect(missing(path)).toEqual([]);
      const response = await fetch(`${dashboard.url}api/images`);
      expect(response.status).toBe(200);
    } finally {
      await dashboard.close();
    }
  });

  it("give way to a writer holding the lock: the close succeeds and leaves them missing", () => {
    const path = withoutStatistics();
    const store = openStore({ url: path });
    store.queries.recentHighQualityImages();
    const writer = openConnection(path);
    writer.exec("BEGIN IMMEDIATE");
    expect(() => store.close()).not.toThrow();
    writer.exec("ROLLBACK");
    writer.close();
    expect(missing(path)).toEqual(["events", "generated_images"]);
  });

  it("are not counted as missing for an empty table", () => {
    const store = createTestStore();
    expect(missingStatistics(store.db, QUERIED)).toEqual([]);
    store.close();
  });
});
