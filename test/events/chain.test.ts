import { createHash } from "node:crypto";
import { copyFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it, onTestFinished } from "vitest";
import { z } from "zod";
import { openConnection } from "../../src/db/connection.js";
import { runDbmate } from "../../src/db/migrations.js";
import { backfillChain, migrateDatabase } from "../../src/events/backfillChain.js";
import { GENESIS_HASH } from "../../src/events/chain.js";
import { openStore } from "../../src/index.js";
import { createTestStore } from "../../src/testing/index.js";
import { cli } from "../cli/run.js";
import { batchStarted, curated, generated } from "../fixtures.js";
import { expectStoreError, rollBackFrom, tempDir } from "../support.js";

const T = "2026-01-08T12:00:00Z";
const CHAIN_MIGRATION = "20261129000001";

const Row = z.object({
  position: z.number(),
  event_id: z.string(),
  stream_id: z.string(),
  stream_version: z.number(),
  type: z.string(),
  schema_version: z.number(),
  data: z.string(),
  metadata: z.string(),
  occurred_at: z.string(),
  recorded_at: z.string(),
  hash: z.string().nullable(),
});
const rowsOf = (db: ReturnType<typeof openConnection>) =>
  z.array(Row).parse(db.prepare("SELECT * FROM events ORDER BY position").all());
const hashesOf = (path: string) => {
  const db = openConnection(path);
  try {
    return db.prepare("SELECT hash FROM events ORDER BY position").pluck().all();
  } finally {
    db.close();
  }
};

/** The chain as docs/reliability.md defines it, computed here without the store's code. */
const documentedHash = (previous: string, r: z.output<typeof Row>) => {
  const columns = [r.position, r.event_id, r.stream_id, r.stream_version, r.type, r.schema_version];
  const text = `${JSON.stringify([previous, ...columns, r.metadata, r.occurred_at, r.recorded_at])}\n${r.data}`;
  return createHash("sha256").update(text, "utf8").digest("hex");
};

/** A store with events, then the chain migration rolled back: a log as the releases before the chain left it. */
const logFromBeforeTheChain = (events = 5) => {
  const path = join(tempDir(), "store.db");
  const store = openStore({ url: path, migrate: true });
  for (let i = 0; i < events; i++)
    store.append([generated(`${i}.png`, T), curated(`${i}.png`, T, { finalScore: 5.21 })]);
  store.close();
  const hashes = hashesOf(path);
  rollBackFrom(path, CHAIN_MIGRATION);
  return { path, hashes };
};

/** Every row's hash is the documented hash over the row before it. */
const expectDocumentedChain = (rows: readonly z.output<typeof Row>[]) => {
  let previous = GENESIS_HASH;
  for (const r of rows) {
    expect(r.hash).toBe(documentedHash(previous, r));
    previous = documentedHash(previous, r);
  }
};

describe("the chain an append extends", () => {
  it("stores with each event the sha256 of the previous event's hash and its stored columns, as documented", () => {
    const store = createTestStore();
    onTestFinished(store.close);
    store.append([batchStarted("b1", T, "forests"), generated("a.png", T)]);
    store.append([{ ...curated("a.png", T, { finalScore: 5.21 }), metadata: { correlationId: "run-7" } }]);
    store.emit.batchFinished({ batchId: "b1", imagesCreated: 1, imagesKept: 1 });
    const rows = rowsOf(store.db);
    expect(rows).toHaveLength(4);
    expectDocumentedChain(rows);
  });

  it("gives the next event the position AUTOINCREMENT would, chained from the newest event, after the counter moved", () => {
    const store = createTestStore();
    onTestFinished(store.close);
    store.append([batchStarted("b1", T)]);
    store.db.exec("UPDATE sqlite_sequence SET seq = 10 WHERE name = 'events'");
    expect(store.emit.batchStarted({ batchId: "b2" }).position).toBe(11);
    const rows = rowsOf(store.db);
    expect(rows.map((r) => r.position)).toEqual([1, 11]);
    expectDocumentedChain(rows);
  });

  it("refuses an INSERT without a hash: foreign code cannot slip an unchained event in", () => {
    const store = createTestStore();
    onTestFinished(store.close);
    store.append([batchStarted("b1", T)]);
    expect(() =>
      store.db.exec(
        "INSERT INTO events (event_id, stream_id, stream_version, type, schema_version, data, occurred_at, recorded_at) " +
          `VALUES ('x', 'batch:b1', 2, 'BatchFinished', 1, '{"batchId":"b1","imagesCreated":0,"imagesKept":0}', 'yesterday', 'yesterday')`,
      ),
    ).toThrow(/events is chained: an insert must carry its hash/);
    expect(store.headPosition()).toBe(1);
  });

  it("allows one UPDATE of the log: a missing hash set with every other column unchanged", () => {
    const { path } = logFromBeforeTheChain(1);
    runDbmate(path, ["up"]);
    const db = openConnection(path);
    onTestFinished(() => {
      db.close();
    });
    const h = "a".repeat(64);
    expect(() => db.prepare("UPDATE events SET hash = ?, data = '{}' WHERE position = 1").run(h)).toThrow(
      /UPDATE is not allowed/,
    );
    expect(() => db.prepare("UPDATE events SET hash = ?, position = 9 WHERE position = 1").run(h)).toThrow(
      /UPDATE is not allowed/,
    );
    expect(() => db.prepare("UPDATE events SET hash = ? WHERE position = 1").run("a".repeat(63))).toThrow(/CHECK/);
    db.prepare("UPDATE events SET hash = ? WHERE position = 1").run(h);
    expect(() => db.prepare("UPDATE events SET hash = ? WHERE position = 1").run("b".repeat(64))).toThrow(
      /UPDATE is not allowed/,
    );
    expect(() => db.prepare("UPDATE events SET hash = NULL WHERE position = 1").run()).toThrow(/UPDATE is not allowed/);
  });
});

describe("a log migrated before the chain", () => {
  it("gets its chain from migrate: the same hashes the appends would have written, and the store appends again", () => {
    const { path, hashes } = logFromBeforeTheChain();
    expect(migrateDatabase(path)).toEqual({ hashed: 10 });
    expect(hashesOf(path)).toEqual(hashes);
    expect(migrateDatabase(path)).toEqual({ hashed: 0 });
    const store = openStore({ url: path });
    expect(store.emit.batchStarted({ batchId: "b1" }).position).toBe(11);
    store.close();
  });

  it("refuses to append until migrate has computed it, naming the command; reading still works", () => {
    const { path } = logFromBeforeTheChain(2);
    runDbmate(path, ["up"]);
    const store = openStore({ url: path });
    onTestFinished(store.close);
    expectStoreError(
      () => store.emit.batchStarted({ batchId: "b1" }),
      "PENDING_MIGRATIONS",
      /the event log of .* is not chained yet \(the event at position 4 has no hash\): run `npx artist-store migrate --db [^`]+`/,
    );
    expect(store.readAll().events).toHaveLength(4);
    expect(store.queries.qualityDistribution()).toHaveLength(1);
  });

  it("answers retries of events already there as duplicates before it is chained, ten at once as one by one", () => {
    const { path } = logFromBeforeTheChain(10);
    runDbmate(path, ["up"]);
    const store = openStore({ url: path });
    onTestFinished(store.close);
    const ids = z
      .array(z.string())
      .parse(
        store.db.prepare("SELECT event_id FROM events WHERE type = 'ImageGenerated' ORDER BY position").pluck().all(),
      );
    const retries = ids.map((id, i) => ({ ...generated(`${i}.png`, T), id }));
    expect(store.append(retries).map((e) => e.duplicate)).toEqual(ids.map(() => true));
    expect(store.append(retries.slice(0, 3)).map((e) => e.duplicate)).toEqual([true, true, true]);
  });

  it("resumes a backfill stopped half-way, from the events it had not reached", () => {
    const { path, hashes } = logFromBeforeTheChain();
    runDbmate(path, ["up"]);
    const db = openConnection(path);
    onTestFinished(() => {
      db.close();
    });
    // Killed after its first transaction: that batch is committed, the rest is not.
    expect(() =>
      backfillChain(db, {
        batchSize: 3,
        onProgress: () => {
          throw new Error("killed");
        },
      }),
    ).toThrow("killed");
    expect(hashesOf(path).filter((h) => h !== null)).toEqual(hashes.slice(0, 3));
    const progress: number[] = [];
    expect(backfillChain(db, { batchSize: 3, onProgress: (p) => progress.push(p.done) })).toEqual({ hashed: 7 });
    expect(progress).toEqual([3, 6, 7]);
    expect(hashesOf(path)).toEqual(hashes);
  });

  it("refuses to adopt an event whose hash is not its place in the chain", () => {
    const { path } = logFromBeforeTheChain(2);
    runDbmate(path, ["up"]);
    const db = openConnection(path);
    onTestFinished(() => {
      db.close();
    });
    // Position 3 carries a hash that was not computed from the chain (set through the one UPDATE the log allows).
    db.prepare("UPDATE events SET hash = ? WHERE position = 3").run("c".repeat(64));
    expectStoreError(
      () => backfillChain(db),
      "CORRUPT_LOG",
      /the event at position 3 has a hash \(cccccccccccc…\) that is not its place in the chain/,
    );
  });

  it("is migrated by the CLI's migrate, which says how many events it chained", () => {
    const { path, hashes } = logFromBeforeTheChain(3);
    const copy = join(tempDir(), "copy.db");
    copyFileSync(path, copy);
    const result = cli(["migrate", "--db", copy]);
    expect(result.stderr).toBe("");
    expect(result.stdout).toMatch(
      new RegExp(`applied ${CHAIN_MIGRATION}(, \\d+)*; computed the chain hash of 6 event\\(s\\) already in the log`),
    );
    expect(hashesOf(copy)).toEqual(hashes);
  });
});
