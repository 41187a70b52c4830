import { readFileSync } from "node:fs";
import pg from "pg";
import { describe, expect, it } from "vitest";
import { postgresSchemaFile } from "../../src/db/paths.js";
import { openAsyncStore } from "../../src/index.js";
import { openPool } from "../../src/postgres/connection.js";
import {
  appliedPostgresMigrations,
  knownPostgresMigrations,
  runPostgresDbmate,
} from "../../src/postgres/migrations.js";
import { dumpPostgresSchema } from "../../src/postgres/schemaDump.js";
import { freshDatabase } from "./database.js";

const tables = async (url: string): Promise<string[]> => {
  const pool = openPool(url);
  try {
    const { rows } = await pool.query<{ t: string }>(
      `SELECT table_name AS t FROM information_schema.tables WHERE table_schema = 'public' ORDER BY 1`,
    );
    return rows.map((r) => r.t);
  } finally {
    await pool.end();
  }
};

const query = async (url: string, sql: string): Promise<unknown> => {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query(sql)).rows;
  } finally {
    await client.end();
  }
};

describe("the PostgreSQL migrations", () => {
  it("migrate up, roll every migration back to an empty database, and migrate up again", async () => {
    const url = await freshDatabase();
    runPostgresDbmate(url, ["up"]);
    const all = await tables(url);
    expect(all).toEqual([
      "consumers",
      "creation_days",
      "creation_sessions",
      "events",
      "generated_images",
      "projection_state",
      "quality_tiers",
      "schema_migrations",
      "training_sessions",
    ]);
    const pool = openPool(url);
    expect(await appliedPostgresMigrations(pool, url)).toEqual(knownPostgresMigrations());
    await pool.end();
    for (const _ of knownPostgresMigrations()) runPostgresDbmate(url, ["rollback"]);
    expect(await tables(url)).toEqual(["schema_migrations"]);
    expect(await query(url, `SELECT proname FROM pg_proc WHERE pronamespace = 'public'::regnamespace`)).toEqual([]);
    runPostgresDbmate(url, ["up"]);
    expect(await tables(url)).toEqual(all);
  });

  it("keeps the log append-only even for its owner: UPDATE, DELETE and TRUNCATE are refused by triggers", async () => {
    const url = await freshDatabase();
    runPostgresDbmate(url, ["up"]);
    const hash = "a".repeat(64);
    await query(
      url,
      `INSERT INTO events (position, event_id, stream_id, stream_version, type, schema_version, data, occurred_at, recorded_at, hash)
       VALUES (1, 'e1', 'batch:b1', 1, 'BatchStarted', 1, '{"batchId":"b1"}', 't', 't', '${hash}')`,
    );
    await expect(query(url, `UPDATE events SET type = 'X'`)).rejects.toThrow(/append-only: UPDATE is not allowed/);
    await expect(query(url, `DELETE FROM events`)).rejects.toThrow(/append-only: DELETE is not allowed/);
    await expect(query(url, `TRUNCATE events`)).rejects.toThrow(/append-only: TRUNCATE is not allowed/);
    await expect(
      query(
        url,
        `INSERT INTO events (position, event_id, stream_id, stream_version, type, schema_version, data, occurred_at, recorded_at, hash)
         VALUES (3, 'e3', 'batch:b3', 1, 'BatchStarted', 1, '{"batchId":"b3"}', 't', 't', '${hash}')`,
      ),
    ).rejects.toThrow(/position 3 is not the next one \(2\)/);
    await expect(
      query(
        url,
        `INSERT INTO events (position, event_id, stream_id, stream_version, type, schema_version, data, occurred_at, recorded_at, hash)
         VALUES (2, 'e2', 'batch:b2', 1, 'BatchStarted', 1, 'not json', 't', 't', '${hash}')`,
      ),
    ).rejects.toThrow(/events_data_check/);
  });

  it("gives the application role INSERT and SELECT on the log and nothing more", async () => {
    const url = await freshDatabase();
    runPostgresDbmate(url, ["up"]);
    const login = `app_${Math.random().toString(36).slice(2, 8)}`;
    await query(url, `CREATE ROLE ${login} LOGIN PASSWORD 'pw' IN ROLE artist_store_app`);
    const asApp = new URL(url);
    asApp.username = login;
    asApp.password = "pw";
    const app = asApp.toString();
    await query(
      app,
      `INSERT INTO events (position, event_id, stream_id, stream_version, type, schema_version, data, occurred_at, recorded_at, hash)
       VALUES (1, 'e1', 'batch:b1', 1, 'BatchStarted', 1, '{"batchId":"b1"}', 't', 't', '${"b".repeat(64)}')`,
    );
    expect(await query(app, `SELECT event_id FROM events`)).toEqual([{ event_id: "e1" }]);
    for (const sql of [`UPDATE events SET type = 'X'`, `DELETE FROM events`, `TRUNCATE events`])
      await expect(query(app, sql)).rejects.toThrow(/permission denied for table events/);
    await expect(query(app, `DELETE FROM generated_images`)).rejects.toThrow(/permission denied/);
    // The whole store runs as the role: open, append with its projections, query.
    const store = await openAsyncStore(app);
    await store.emit.batchStarted({ batchId: "b2" });
    expect((await store.queries.dailyCreationStatistics()).length).toBe(1);
    await store.close();
    await query(url, `DROP OWNED BY ${login}; DROP ROLE ${login}`);
  });

  it("match the committed dump db/schema.postgres.sql (regenerate it with npm run db:dump:postgres)", async () => {
    const url = await freshDatabase();
    runPostgresDbmate(url, ["up"]);
    const pool = openPool(url);
    try {
      expect(await dumpPostgresSchema(pool)).toBe(readFileSync(postgresSchemaFile, "utf8"));
    } finally {
      await pool.end();
    }
  });
});
