import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { inject, onTestFinished } from "vitest";
import { openConnection } from "../../src/db/connection.js";
import { type AsyncStore, type OpenAsyncStoreOptions, openAsyncStore } from "../../src/index.js";
import { openPool } from "../../src/postgres/connection.js";
import { runPostgresDbmate } from "../../src/postgres/migrations.js";
import { createMigratedDatabase } from "../../src/replay/scratch.js";
import { freshDatabase, urlOf } from "./database.js";

export type Row = Record<string, unknown>;
/** Every table of a store, canonical: rows in key order, values as JSON-comparable JavaScript. */
export type Dump = Record<string, Row[]>;

/** The tables both backends keep, each with its key order. */
export const TABLES = {
  events: "position",
  generated_images: "id",
  training_sessions: "id",
  creation_sessions: "id",
  quality_tiers: "tier",
  creation_days: "day",
  projection_state: "projection",
  consumers: "name",
} as const;
const JSON_COLUMNS = new Set(["data", "metadata", "generation_params", "tags", "config", "metrics"]);
const BOOLEAN_COLUMNS = new Set(["is_featured"]);
// The fingerprint names each backend's projection SQL, which differs by dialect on purpose.
const DIALECT_COLUMNS = new Set(["fingerprint"]);

/** One value, canonical: JSON parsed, booleans as 0/1, numbers as numbers (bigint and REAL alike). */
const canonical = (column: string, value: unknown): unknown => {
  if (value === null || value === undefined) return null;
  if (JSON_COLUMNS.has(column) && typeof value === "string") return JSON.parse(value);
  if (BOOLEAN_COLUMNS.has(column)) return value === true || value === 1 ? 1 : 0;
  if (typeof value === "bigint") return Number(value);
  return value;
};
const canonicalRow = (row: Row): Row =>
  Object.fromEntries(
    Object.entries(row)
      .filter(([k]) => !DIALECT_COLUMNS.has(k))
      .map(([k, v]) => [k, canonical(k, v)]),
  );

/** A backend of the suite: how to open a fresh store on it, and how to dump every table of that store. */
export interface Backend {
  name: "sqlite" | "postgres";
  /** A fresh, migrated store (closed after the test), and a dump of its tables. */
  open(options?: OpenAsyncStoreOptions): Promise<{ store: AsyncStore; dump: () => Promise<Dump>; url: string }>;
}

const sqlite: Backend = {
  name: "sqlite",
  open: async (options = {}) => {
    const dir = mkdtempSync(join(tmpdir(), "ai-artist-store-both-"));
    const path = join(dir, "store.db");
    createMigratedDatabase(path);
    const store = await openAsyncStore(`sqlite:${path}`, options);
    onTestFinished(async () => {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    });
    const dump = async (): Promise<Dump> => {
      const db = openConnection(path, { readonly: true });
      try {
        return Object.fromEntries(
          Object.entries(TABLES).map(([t, key]) => [
            t,
            db
              .prepare(`SELECT * FROM ${t} ORDER BY ${key}`)
              .all()
              .map((r) => canonicalRow(r as Row)),
          ]),
        );
      } finally {
        db.close();
      }
    };
    return { store, dump, url: `sqlite:${path}` };
  },
};

/** The migrated template database of this worker: a fresh store is a copy of it (faster than dbmate per test). */
let template: Promise<string> | undefined;
const migratedTemplate = (): Promise<string> => {
  template ??= (async () => {
    const url = await freshDatabase();
    runPostgresDbmate(url, ["up"]);
    return new URL(url).pathname.slice(1);
  })();
  return template;
};
let copies = 0;

/** A fresh migrated PostgreSQL database, a copy of the template, and its URL. */
export const migratedPostgresDatabase = async (): Promise<string> => {
  const source = await migratedTemplate();
  copies += 1;
  const name = `${source}_c${copies}`;
  const admin = new pg.Client({ connectionString: inject("postgresAdminUrl") });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name} TEMPLATE ${source}`);
  } finally {
    await admin.end();
  }
  onTestFinished(async () => {
    const c = new pg.Client({ connectionString: inject("postgresAdminUrl") });
    await c.connect();
    await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`).finally(() => c.end());
  });
  return urlOf(name);
};

/** Rows of every table of a PostgreSQL database, canonical. */
export const dumpPostgres = async (url: string): Promise<Dump> => {
  // The store's own pool: bigint and numeric come back as numbers, as the store reads them.
  const pool = openPool(url, 1);
  try {
    const out: Dump = {};
    for (const [t, key] of Object.entries(TABLES)) {
      const { rows } = await pool.query<Row>(`SELECT * FROM ${t} ORDER BY ${key}`);
      out[t] = rows.map(canonicalRow);
    }
    return out;
  } finally {
    await pool.end();
  }
};

const postgres: Backend = {
  name: "postgres",
  open: async (options = {}) => {
    const url = await migratedPostgresDatabase();
    const store = await openAsyncStore(url, options);
    onTestFinished(() => store.close());
    return { store, dump: () => dumpPostgres(url), url };
  },
};

export const BACKENDS: readonly Backend[] = [sqlite, postgres];

/** Run fn and expect it to reject with one StoreError of this code and a message matching `message`; return it. */
export const rejection = async (fn: () => Promise<unknown>): Promise<unknown> => {
  try {
    await fn();
  } catch (e) {
    return e;
  }
  return undefined;
};

/** Every row of a table of a PostgreSQL store in id order, as the SQLite store returns them (booleans as 0/1). */
export const postgresRows = async (url: string, table: string): Promise<Row[]> => {
  const pool = openPool(url, 1);
  try {
    const { rows } = await pool.query<Row>(`SELECT * FROM ${table} ORDER BY id`);
    return rows.map((r) =>
      Object.fromEntries(Object.entries(r).map(([k, v]) => [k, typeof v === "boolean" ? Number(v) : v])),
    );
  } finally {
    await pool.end();
  }
};
