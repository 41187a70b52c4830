import { describe, expect, it } from "vitest";
import type { Db } from "../../src/db/connection.js";
import { openStoreAsOf } from "../../src/operations.js";
import { createScratch, deferIndexes } from "../../src/replay/scratch.js";
import { tablesOf } from "../../src/replay/tables.js";
import { createTestStore } from "../../src/testing/index.js";
import { pipelineDays } from "./support.js";

const schemaOf = (db: Db) =>
  db.prepare("SELECT type, name, tbl_name AS tbl, sql FROM sqlite_master ORDER BY type, name").all();
const indexNames = (db: Db) =>
  db.prepare("SELECT name FROM sqlite_master WHERE type = 'index' ORDER BY name").pluck().all();

describe("createScratch", () => {
  it("sorts on disk, so an index built after a long replay does not grow the process", () => {
    const scratch = createScratch();
    expect(scratch.db.pragma("temp_store", { simple: true })).toBe(1);
    scratch.dispose();
  });
});

describe("deferIndexes", () => {
  it("drops the plain secondary indexes of the tables and keeps every UNIQUE and PRIMARY KEY index", () => {
    const scratch = createScratch();
    const before = indexNames(scratch.db);
    deferIndexes(scratch.db, ["generated_images"]);
    const after = indexNames(scratch.db);
    expect(before.filter((n) => !after.includes(n))).toEqual([
      "idx_covering",
      "idx_created_at",
      "idx_diversity_score",
      "idx_featured",
      "idx_final_score",
      "idx_model_id",
      "idx_status",
      "idx_status_created",
      "idx_status_score",
    ]);
    expect(after).toContain("sqlite_autoindex_generated_images_1");
    expect(after).toContain("idx_training_status");
    scratch.dispose();
  });

  it("builds them again with their exact SQL, so the schema is the one migrated", () => {
    const scratch = createScratch();
    const migrated = schemaOf(scratch.db);
    const restore = deferIndexes(scratch.db, tablesOf());
    expect(schemaOf(scratch.db)).not.toEqual(migrated);
    restore();
    restore();
    expect(schemaOf(scratch.db)).toEqual(migrated);
    scratch.dispose();
  });

  it("time travel hands out a scratch with the store's indexes, built after the replay", () => {
    const store = createTestStore();
    store.append(pipelineDays(1));
    const past = openStoreAsOf(store, { position: store.headPosition() });
    expect(schemaOf(past.db)).toEqual(schemaOf(store.db));
    past.close();
    store.close();
  });
});
