import { spawnSync } from "node:child_process";
import { copyFileSync, mkdirSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { resolveBinary } from "dbmate";
import { describe, expect, it } from "vitest";
import { openConnection } from "../../src/db/connection.js";
import { appliedMigrations, knownMigrations, runDbmate } from "../../src/db/migrations.js";
import { migrationsDir, packageRoot, postgresMigrationsDir } from "../../src/db/paths.js";
import { openStore } from "../../src/index.js";
import { tempDir } from "../support.js";

describe("migrations per dialect", () => {
  it("keeps the SQLite migrations under db/migrations/sqlite and the PostgreSQL ones under db/migrations/postgres", () => {
    expect(migrationsDir).toBe(join(packageRoot, "db", "migrations", "sqlite"));
    expect(postgresMigrationsDir).toBe(join(packageRoot, "db", "migrations", "postgres"));
    expect(readdirSync(join(packageRoot, "db", "migrations")).filter((f) => f.endsWith(".sql"))).toEqual([]);
    expect(knownMigrations().length).toBeGreaterThan(0);
  });

  it("opens and migrates a database that the flat db/migrations layout migrated: dbmate tracks versions, not folders", () => {
    const dir = tempDir();
    // The set as it was before the move: the same files, flat in one folder.
    const flat = join(dir, "db", "migrations");
    mkdirSync(flat, { recursive: true });
    for (const f of readdirSync(migrationsDir)) copyFileSync(join(migrationsDir, f), join(flat, f));
    const path = join(dir, "old.db");
    const old = spawnSync(
      resolveBinary(),
      ["--url", `sqlite:${path}`, "--migrations-dir", flat, "--no-dump-schema", "up"],
      { encoding: "utf8" },
    );
    expect(old.stderr).toBe("");
    expect(old.status).toBe(0);
    const before = openStore({ url: path, stale: "refuse" });
    before.emit.batchStarted({ batchId: "b1" });
    before.close();

    runDbmate(path, ["up"]);
    const db = openConnection(path);
    expect(appliedMigrations(db)).toEqual(knownMigrations());
    db.close();
    const store = openStore({ url: path, stale: "refuse" });
    expect(store.readAll().events.map((e) => e.streamId)).toEqual(["batch:b1"]);
    store.close();
  });
});
