import { describe, expect, it } from "vitest";
import { pipelineDay } from "../../src/demo/pipelineDay.js";
import { openAsyncStore, StoreError } from "../../src/index.js";
import { openPool } from "../../src/postgres/connection.js";
import { rebuildPostgresProjections } from "../../src/postgres/rebuildProjections.js";
import { dumpPostgres, migratedPostgresDatabase, rejection } from "./backends.js";

const sql = async (url: string, text: string) => {
  const pool = openPool(url, 1);
  try {
    await pool.query(text);
  } finally {
    await pool.end();
  }
};

describe("rebuild on PostgreSQL", () => {
  it("derives tables equal to the live ones from the log, and puts back a row changed behind its back", async () => {
    const url = await migratedPostgresDatabase();
    const store = await openAsyncStore(url);
    await store.append(pipelineDay({ seed: 3, imagesPerBatch: [5, 10] }));
    await store.close();
    const live = await dumpPostgres(url);
    await sql(url, `UPDATE generated_images SET prompt = 'tampered', final_score = 0 WHERE id = 2`);
    const result = await rebuildPostgresProjections(url, 7);
    expect(result.events).toBe(live.events?.length);
    expect(await dumpPostgres(url)).toEqual(live);
  });

  it("analyzes the tables it rebuilt, for the planner's statistics", async () => {
    const url = await migratedPostgresDatabase();
    const store = await openAsyncStore(url);
    await store.append(pipelineDay({ seed: 5, imagesPerBatch: [5, 10] }));
    await store.close();
    await rebuildPostgresProjections(url);
    const pool = openPool(url, 1);
    try {
      const { rows } = await pool.query(
        `SELECT relname FROM pg_stat_user_tables WHERE last_analyze IS NOT NULL ORDER BY relname`,
      );
      expect(rows.map((r) => r.relname)).toEqual(
        expect.arrayContaining([
          "creation_days",
          "creation_sessions",
          "generated_images",
          "quality_tiers",
          "training_sessions",
        ]),
      );
    } finally {
      await pool.end();
    }
  });

  it("refuses a log whose chain is broken, naming the position, and changes nothing", async () => {
    const url = await migratedPostgresDatabase();
    const store = await openAsyncStore(url);
    await store.append(pipelineDay({ seed: 4, imagesPerBatch: [5, 10] }));
    await store.close();
    // Only the owner can do this: take the guard away, rewrite an event, put it back.
    await sql(
      url,
      `ALTER TABLE events DISABLE TRIGGER events_no_update;
       UPDATE events SET data = replace(data, '"status":"curated"', '"status":"rejected"')
         WHERE position = (SELECT min(position) FROM events WHERE type = 'ImageCurated' AND data LIKE '%"status":"curated"%');
       ALTER TABLE events ENABLE TRIGGER events_no_update;`,
    );
    const before = await dumpPostgres(url);
    const caught = await rejection(() => rebuildPostgresProjections(url));
    expect(caught).toBeInstanceOf(StoreError);
    expect(caught).toMatchObject({ code: "CORRUPT_LOG" });
    expect(caught instanceof Error ? caught.message : "").toMatch(
      /^event at position \d+ breaks the log's chain: it does not match its stored hash/,
    );
    expect(await dumpPostgres(url)).toEqual(before);
  });

  it("opens a store whose projections other code built only with a warning, or refuses it, until rebuilt", async () => {
    const url = await migratedPostgresDatabase();
    const store = await openAsyncStore(url);
    await store.emit.batchStarted({ batchId: "b1" });
    await store.close();
    await sql(url, `UPDATE projection_state SET fingerprint = 'other' WHERE projection = 'creation_sessions'`);
    const warnings: string[] = [];
    await (await openAsyncStore(url, { onWarning: (m) => warnings.push(m) })).close();
    expect(warnings).toEqual([
      expect.stringMatching(
        /are stale: creation_sessions \(built by other projection code\): run `npx artist-store rebuild --db postgres:/,
      ),
    ]);
    const caught = await rejection(() => openAsyncStore(url, { stale: "refuse" }));
    expect(caught).toMatchObject({ code: "STALE_PROJECTIONS" });
    await rebuildPostgresProjections(url);
    await (await openAsyncStore(url, { stale: "refuse" })).close();
  });
});
