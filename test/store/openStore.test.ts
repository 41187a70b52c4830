import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it, onTestFinished } from "vitest";
import { openConnection, readPragmas } from "../../src/db/connection.js";
import { knownMigrations, runDbmate } from "../../src/db/migrations.js";
import { databasePath, databasePathFromEnv } from "../../src/db/paths.js";
import { openStore } from "../../src/index.js";
import { createTestStore } from "../../src/testing/index.js";
import { expectStoreError, tempDir } from "../support.js";

describe("pragmas", () => {
  it("are in force on the store's connection", () => {
    const store = createTestStore();
    onTestFinished(store.close);
    expect(readPragmas(store.db)).toEqual({
      journal_mode: "wal",
      synchronous: 1,
      cache_size: -64000,
      temp_store: 2,
      busy_timeout: 5000,
      foreign_keys: 1,
    });
  });

  it("are in force on every new connection, since only journal_mode persists in the file", () => {
    const store = createTestStore();
    onTestFinished(store.close);
    const second = openConnection(store.path, { readonly: true });
    const third = openStore({ url: store.path, busyTimeoutMs: 1234 });
    expect(readPragmas(second)).toMatchObject({
      journal_mode: "wal",
      synchronous: 1,
      cache_size: -64000,
      temp_store: 2,
      busy_timeout: 5000,
      foreign_keys: 1,
    });
    expect(readPragmas(third.db)).toMatchObject({
      synchronous: 1,
      cache_size: -64000,
      temp_store: 2,
      busy_timeout: 1234,
      foreign_keys: 1,
    });
    second.close();
    third.close();
  });
});

describe("openStore", () => {
  it("reads DATABASE_URL, defaulting to sqlite:data/ai_artist.db", () => {
    expect(databasePathFromEnv({})).toBe(join(process.cwd(), "data", "ai_artist.db"));
    expect(databasePathFromEnv({ DATABASE_URL: "sqlite:/tmp/x.db" })).toBe("/tmp/x.db");
    expect(databasePath("sqlite:///tmp/y.db")).toBe("/tmp/y.db");
    expect(databasePath("rel/z.db")).toBe(join(process.cwd(), "rel", "z.db"));
  });

  it("refuses a database that does not exist, naming the migrate command", () => {
    expectStoreError(
      () => openStore({ url: join(tempDir(), "none.db") }),
      "SCHEMA_MISSING",
      /does not exist: run `npx artist-store migrate --db [^`]+`/,
    );
  });

  it("refuses a database with pending migrations, naming them and the command", () => {
    const path = join(tempDir(), "behind.db");
    runDbmate(path, ["up"]);
    runDbmate(path, ["rollback"]);
    const last = knownMigrations().at(-1);
    expectStoreError(
      () => openStore({ url: path }),
      "PENDING_MIGRATIONS",
      new RegExp(`1 pending migration\\(s\\) \\(${last}\\): run \`npx artist-store migrate --db [^\`]+\``),
    );
    const migrated = openStore({ url: path, migrate: true });
    expect(migrated.headPosition()).toBe(0);
    migrated.close();
  });

  it("refuses a database whose schema is newer than the code", () => {
    const store = createTestStore();
    onTestFinished(store.close);
    store.db.prepare("INSERT INTO schema_migrations (version) VALUES ('29990101000000')").run();
    // The connection only: the test store's close() would also delete the file.
    store.db.close();
    expectStoreError(
      () => openStore({ url: store.path }),
      "UNKNOWN_MIGRATIONS",
      /29990101000000.*newer than this version/,
    );
  });

  it("refuses a file that is not a SQLite database", () => {
    const path = join(tempDir(), "notes.db");
    writeFileSync(path, "these are not the pages you are looking for\n".repeat(200));
    expectStoreError(() => openStore({ url: path }), "NOT_A_DATABASE", /is not a SQLite database/);
  });

  it("refuses an empty SQLite database that dbmate never touched", () => {
    const path = join(tempDir(), "empty.db");
    openConnection(path, { create: true }).close();
    expectStoreError(() => openStore({ url: path }), "SCHEMA_MISSING", /has no ai-artist-store schema/);
  });
});
