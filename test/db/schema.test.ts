import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it, onTestFinished } from "vitest";
import { openConnection } from "../../src/db/connection.js";
import { knownMigrations, runDbmate } from "../../src/db/migrations.js";
import { schemaFile } from "../../src/db/paths.js";
import { createTestStore } from "../../src/testing/index.js";
import { tempDir } from "../support.js";

type Column = [name: string, type: string, notNull: 0 | 1, dflt: string | null];

// The schema document's columns, one line each: name, declared type, NOT NULL, default.
// NOT NULL follows the document's "Column Details" table where it says "Nullable: No".
const documented: Record<string, Column[]> = {
  generated_images: [
    ["id", "INTEGER", 0, null],
    ["filename", "TEXT", 1, null],
    ["prompt", "TEXT", 1, null],
    ["negative_prompt", "TEXT", 0, "''"],
    ["source_url", "TEXT", 0, null],
    ["source_query", "TEXT", 0, null],
    ["model_id", "TEXT", 1, null],
    ["generation_params", "JSON", 0, "'{}'"],
    ["seed", "INTEGER", 0, null],
    ["aesthetic_score", "REAL", 0, null],
    ["clip_score", "REAL", 0, null],
    ["technical_score", "REAL", 0, null],
    ["final_score", "REAL", 0, null],
    ["created_at", "DATETIME", 1, "strftime('%Y-%m-%dT%H:%M:%fZ', 'now')"],
    ["status", "TEXT", 1, "'pending'"],
    ["is_featured", "BOOLEAN", 1, "0"],
    ["tags", "JSON", 0, "'[]'"],
  ],
  training_sessions: [
    ["id", "INTEGER", 0, null],
    ["name", "TEXT", 1, null],
    ["model_path", "TEXT", 1, null],
    ["config", "JSON", 0, "'{}'"],
    ["dataset_size", "INTEGER", 0, null],
    ["final_loss", "REAL", 0, null],
    ["training_time_seconds", "REAL", 0, null],
    ["metrics", "JSON", 0, "'{}'"],
    ["started_at", "DATETIME", 1, "strftime('%Y-%m-%dT%H:%M:%fZ', 'now')"],
    ["completed_at", "DATETIME", 0, null],
    ["status", "TEXT", 1, "'running'"],
  ],
  creation_sessions: [
    ["id", "INTEGER", 0, null],
    ["theme", "TEXT", 0, null],
    ["images_created", "INTEGER", 0, "0"],
    ["images_kept", "INTEGER", 0, "0"],
    ["avg_score", "REAL", 0, null],
    ["started_at", "DATETIME", 1, "strftime('%Y-%m-%dT%H:%M:%fZ', 'now')"],
    ["completed_at", "DATETIME", 0, null],
  ],
};

// Columns the design adds (README, "Departures from the schema document").
const additions: Record<string, string[]> = {
  generated_images: ["updated_at", "diversity_score"],
  training_sessions: ["run_id", "failure_reason", "updated_at"],
  creation_sessions: ["batch_id", "updated_at"],
};

const documentedIndexes: Record<string, Record<string, string[]>> = {
  generated_images: {
    idx_model_id: ["model_id"],
    idx_created_at: ["created_at"],
    idx_status: ["status"],
    idx_final_score: ["final_score"],
    idx_featured: ["is_featured"],
    idx_status_score: ["status", "final_score"],
    idx_covering: ["status", "final_score", "filename", "created_at"],
    idx_diversity_score: ["diversity_score"],
  },
  training_sessions: {
    idx_training_name: ["name"],
    idx_training_status: ["status"],
    idx_training_started: ["started_at"],
  },
  creation_sessions: {
    idx_session_started: ["started_at"],
    idx_session_theme: ["theme"],
  },
};

describe("schema fidelity", () => {
  for (const [table, columns] of Object.entries(documented)) {
    it(`${table} has every documented column with its type, nullability and default`, () => {
      const store = createTestStore();
      onTestFinished(store.close);
      const info = store.db
        .prepare(`SELECT name, type, "notnull" AS nn, dflt_value AS dflt, pk FROM pragma_table_info(?)`)
        .all(table) as {
        name: string;
        type: string;
        nn: number;
        dflt: string | null;
      }[];
      const byName = new Map(info.map((c) => [c.name, c]));
      for (const [name, type, notNull, dflt] of columns) {
        expect(byName.get(name), `${table}.${name}`).toMatchObject({ type, nn: notNull, dflt });
      }
      expect(info.map((c) => c.name).sort()).toEqual([...columns.map((c) => c[0]), ...(additions[table] ?? [])].sort());
    });

    it(`${table} has an AUTOINCREMENT primary key`, () => {
      const store = createTestStore();
      onTestFinished(store.close);
      const sql = store.db.prepare("SELECT sql FROM sqlite_master WHERE name = ?").pluck().get(table);
      expect(sql).toMatch(/id INTEGER PRIMARY KEY AUTOINCREMENT/);
    });

    it(`${table} has every documented index on the documented columns`, () => {
      const store = createTestStore();
      onTestFinished(store.close);
      for (const [index, cols] of Object.entries(documentedIndexes[table] ?? {})) {
        const actual = store.db.prepare("SELECT name FROM pragma_index_info(?) ORDER BY seqno").pluck().all(index);
        expect(actual, index).toEqual(cols);
      }
    });
  }

  it("orders the documented DESC indexes descending", () => {
    const store = createTestStore();
    onTestFinished(store.close);
    for (const index of [
      "idx_created_at",
      "idx_final_score",
      "idx_status_score",
      "idx_training_started",
      "idx_session_started",
    ]) {
      const desc = store.db
        .prepare("SELECT desc FROM pragma_index_xinfo(?) WHERE key = 1 ORDER BY seqno")
        .pluck()
        .all(index);
      expect(desc, index).toContain(1);
    }
  });

  it("leaves out idx_filename because UNIQUE(filename) already indexes filename", () => {
    const store = createTestStore();
    onTestFinished(store.close);
    const indexes = store.db
      .prepare("SELECT name, \"unique\" AS u, origin FROM pragma_index_list('generated_images')")
      .all();
    expect(indexes).toContainEqual({ name: "sqlite_autoindex_generated_images_1", u: 1, origin: "u" });
    expect(indexes).not.toContainEqual(expect.objectContaining({ name: "idx_filename" }));
  });

  it("puts the database in WAL mode", () => {
    const store = createTestStore();
    onTestFinished(store.close);
    expect(store.db.pragma("journal_mode", { simple: true })).toBe("wal");
  });
});

describe("migrations", () => {
  it("db/schema.sql is exactly what the migrations produce (run `npm run db:dump` after adding one)", () => {
    const dir = tempDir();
    const dumped = join(dir, "schema.sql");
    runDbmate(join(dir, "fresh.db"), ["up"], { dumpSchema: true, schemaFile: dumped });
    expect(readFileSync(dumped, "utf8")).toBe(readFileSync(schemaFile, "utf8"));
  });

  it("rolls every migration back and applies them again", () => {
    const path = join(tempDir(), "roundtrip.db");
    runDbmate(path, ["up"]);
    for (const _ of knownMigrations()) runDbmate(path, ["rollback"]);
    const db = openConnection(path);
    expect(
      db
        .prepare(
          "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT IN ('schema_migrations', 'sqlite_sequence')",
        )
        .pluck()
        .all(),
    ).toEqual([]);
    expect(db.pragma("journal_mode", { simple: true })).toBe("delete");
    db.close();
    runDbmate(path, ["up"]);
    const again = openConnection(path);
    expect(again.prepare("SELECT count(*) FROM schema_migrations").pluck().get()).toBe(knownMigrations().length);
    again.close();
  });
});
