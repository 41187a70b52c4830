import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { openConnection } from "../../src/db/connection.js";
import { runDbmate } from "../../src/db/migrations.js";
import { pipelineDay } from "../../src/demo/pipelineDay.js";
import { migrateDatabase } from "../../src/events/backfillChain.js";
import { chainHash, GENESIS_HASH } from "../../src/events/chain.js";
import { EVENT_COLUMNS } from "../../src/events/readEvents.js";
import { openStore } from "../../src/index.js";
import { formatFinding, verifyDatabase } from "../../src/maintenance/verify.js";
import { rebuildProjections } from "../../src/operations.js";
import { cli, json } from "../cli/run.js";
import { expectStoreError, insertChained, rollBackFrom, tempDir } from "../support.js";

const T = "2026-01-08T12:00:00.000Z";

/** Two demo days' log (about 1,200 events: more than one page of the walk). */
const demoLog = (): string => {
  const path = join(tempDir(), "ai_artist.db");
  const store = openStore({ url: path, migrate: true });
  for (const day of ["2026-01-07", "2026-01-08"]) store.append(pipelineDay({ day }));
  store.close();
  return path;
};
const withDb = <T>(path: string, fn: (db: ReturnType<typeof openConnection>) => T): T => {
  const db = openConnection(path);
  try {
    return fn(db);
  } finally {
    db.close();
  }
};
const Head = z.object({ position: z.number(), hash: z.string() });
const headOf = (path: string) =>
  withDb(path, (db) =>
    Head.parse(db.prepare("SELECT position, hash FROM events ORDER BY position DESC LIMIT 1").get()),
  );

describe("verifyDatabase", () => {
  it("finds nothing in a sound log, read page by page to the head, and reports the head and its hash", () => {
    const path = demoLog();
    const progress: number[] = [];
    const report = verifyDatabase(path, { onProgress: (p) => progress.push(p.done) });
    const head = headOf(path);
    expect(report).toMatchObject({
      ok: true,
      findings: [],
      omitted: 0,
      events: head.position,
      head,
      counter: head.position,
    });
    expect(head.position).toBeGreaterThan(1000);
    expect(progress.length).toBeGreaterThan(1);
    expect(progress.at(-1)).toBe(head.position);
  });

  it("finds nothing in a new empty database", () => {
    const path = join(tempDir(), "empty.db");
    migrateDatabase(path);
    expect(verifyDatabase(path)).toMatchObject({ ok: true, events: 0, head: null, counter: 0, findings: [] });
  });

  it("checks the log still holds an anchor, and finds a log rewritten from the start with a recomputed chain", () => {
    const path = demoLog();
    const anchor = headOf(path);
    expect(verifyDatabase(path, { expectHead: anchor }).ok).toBe(true);
    // Whoever can rewrite the whole file can rewrite the chain: the log alone then verifies.
    withDb(path, (db) => {
      const rows = z
        .array(z.array(z.unknown()))
        .parse(db.prepare(`SELECT ${EVENT_COLUMNS} FROM events ORDER BY position`).raw().all());
      const triggers = z
        .array(z.string())
        .parse(
          db.prepare("SELECT sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'events'").pluck().all(),
        );
      db.exec("DROP TRIGGER events_no_update");
      const update = db.prepare("UPDATE events SET data = ?, hash = ? WHERE position = ?");
      let previous = GENESIS_HASH;
      const first = rows.find((r) => r[4] === "ImageGenerated");
      if (first) first[6] = String(first[6]).replace('"prompt":"', '"prompt":"rewritten ');
      db.transaction(() => {
        for (const row of rows) {
          previous = chainHash(previous, row);
          update.run(row[6], previous, row[0]);
        }
      })();
      db.exec(triggers.find((t) => t.includes("events_no_update")) ?? "");
    });
    expect(verifyDatabase(path).findings).toEqual([]);
    const anchored = verifyDatabase(path, { expectHead: anchor });
    expect(anchored.findings.map(formatFinding)).toEqual([
      expect.stringMatching(
        new RegExp(
          `^position ${anchor.position} \\[anchor\\]: the event at position ${anchor.position} has hash [0-9a-f]{12}…, ` +
            `the anchor says ${anchor.hash.slice(0, 12)}…: the log up to there was rewritten since the anchor was noted`,
        ),
      ),
    ]);
    expect(verifyDatabase(path, { expectHead: { position: 99999, hash: anchor.hash } }).findings).toEqual([
      expect.objectContaining({ check: "anchor", position: 99999 }),
    ]);
  });

  it("names an event that fails its schema, an index the migrations do not create and a trigger they define otherwise", () => {
    const path = join(tempDir(), "schema.db");
    migrateDatabase(path);
    withDb(path, (db) => {
      insertChained(
        db,
        `INSERT INTO events (event_id, stream_id, stream_version, type, schema_version, data, metadata, occurred_at, recorded_at)
         VALUES ('x', 'batch:x', 1, 'BatchStarted', 1, '{"theme":"forests"}', '{}', '${T}', '${T}')`,
      );
      db.exec("CREATE INDEX idx_events_type ON events(type)");
      db.exec(`DROP TRIGGER events_no_delete;
        CREATE TRIGGER events_no_delete BEFORE DELETE ON events WHEN OLD.type = 'BatchStarted' BEGIN SELECT RAISE(ABORT, 'no'); END;`);
    });
    expect(verifyDatabase(path).findings.map(formatFinding)).toEqual([
      "trigger events_no_delete [schema]: trigger events_no_delete is not as the migrations define it (its SQL differs) " +
        "(a guard of the log: appends are refused)",
      "index idx_events_type [schema]: index idx_events_type on the log is not one the migrations create",
      expect.stringMatching(/^position 1 \[event\]: event at position 1 \(BatchStarted on batch:x\): data\.batchId: /),
    ]);
  });

  it("names an event whose bytes in the file are no longer JSON, and rebuild stops there instead of crashing", () => {
    const path = join(tempDir(), "bytes.db");
    const store = openStore({ url: path, migrate: true });
    store.append([
      { type: "ImageGenerated", data: { filename: "a.png", prompt: "a fox", modelId: "sdxl" }, occurredAt: T },
      { type: "ImageCurated", data: { filename: "a.png", status: "curated", finalScore: 5.21 }, occurredAt: T },
    ]);
    store.close();
    withDb(path, (db) => db.pragma("wal_checkpoint(TRUNCATE)"));
    const bytes = readFileSync(path);
    bytes.write('"finalScore":5,21', bytes.indexOf('"finalScore":5.21'));
    writeFileSync(path, bytes);
    expect(verifyDatabase(path).findings.map(formatFinding)).toEqual([
      "integrity_check [integrity]: CHECK constraint failed in events",
      expect.stringMatching(/^position 2 \[chain\]: the event does not match its stored hash/),
      expect.stringMatching(
        /^position 2 \[event\]: event at position 2 \(ImageCurated on image:a\.png\): data is not JSON/,
      ),
    ]);
    const reopened = openStore({ url: path });
    try {
      expectStoreError(() => rebuildProjections(reopened), "CORRUPT_LOG", /event at position 2 breaks the log's chain/);
      expectStoreError(() => reopened.readAll(), "CORRUPT_LOG", /position 2 .*: data is not JSON/);
    } finally {
      reopened.close();
    }
  });

  it("lists at most maxFindings and counts the rest", () => {
    const path = join(tempDir(), "many.db");
    migrateDatabase(path);
    withDb(path, (db) => {
      for (let i = 1; i <= 5; i++)
        insertChained(
          db,
          `INSERT INTO events (event_id, stream_id, stream_version, type, schema_version, data, metadata, occurred_at, recorded_at)
           VALUES ('x${i}', 'batch:x${i}', 1, 'BatchStarted', 1, '{"batchId":"x${i}"}', '{}', 'soon', '${T}')`,
        );
    });
    const report = verifyDatabase(path, { maxFindings: 2 });
    expect(report).toMatchObject({ ok: false, omitted: 3 });
    expect(report.findings.map((f) => f.position)).toEqual([1, 2]);
  });

  it("verifies a log migrated before the chain clean once migrate has computed its chain, and names what is missing before", () => {
    const path = demoLog();
    rollBackFrom(path, "20261129000001");
    expect(verifyDatabase(path).findings.map(formatFinding)).toEqual([
      expect.stringMatching(
        /^schema_migrations \[migrations\]: \d+ pending migration\(s\) \(20261129000001, [^)]*\): run `npx artist-store migrate/,
      ),
    ]);
    runDbmate(path, ["up"]);
    const unchained = verifyDatabase(path, { maxFindings: 1 });
    expect(unchained.findings.map(formatFinding)).toEqual(["position 1 [chain]: the event has no chain hash"]);
    migrateDatabase(path);
    expect(verifyDatabase(path)).toMatchObject({ ok: true, findings: [] });
  });
});

describe("artist-store verify", () => {
  it("exits 0 on a sound log, naming the head and its hash; backup prints the same head; --expect-head checks it", () => {
    const path = demoLog();
    const head = headOf(path);
    const ok = cli(["verify", "--db", path]);
    expect(ok.stderr).toBe("");
    expect(ok.code).toBe(0);
    expect(ok.stdout).toMatch(
      new RegExp(
        `^verify ok: .*: ${head.position} events, positions 1\\.\\.${head.position} gapless, chain intact, .*; head ${head.position}:${head.hash}\\n$`,
      ),
    );
    const backup = cli(["backup", "--db", path]);
    expect(backup.code).toBe(0);
    expect(backup.stdout).toContain(`head ${head.position}:${head.hash}: keep it elsewhere`);
    expect(cli(["verify", "--db", path, "--expect-head", `${head.position}:${head.hash}`]).code).toBe(0);
    expect(cli(["verify", "--db", path, "--expect-head", "12:abc"]).code).toBe(2);
  });

  it("exits 1 with one line per finding, and --json in a stable shape", () => {
    const path = demoLog();
    withDb(path, (db) => db.exec("UPDATE sqlite_sequence SET seq = seq + 5 WHERE name = 'events'"));
    const failed = cli(["verify", "--db", path]);
    expect(failed.code).toBe(1);
    expect(failed.stdout.split("\n")).toEqual([
      expect.stringMatching(/^sqlite_sequence \[counter\]: the log's AUTOINCREMENT counter is \d+, its newest event/),
      expect.stringMatching(/^verify found 1 problem\(s\) in .* \(\d+ events read\)$/),
      "",
    ]);
    const report = json(cli(["verify", "--db", path, "--json"]));
    expect(Object.keys(z.record(z.string(), z.unknown()).parse(report))).toEqual([
      "path",
      "ok",
      "events",
      "head",
      "counter",
      "findings",
      "omitted",
      "durationMs",
    ]);
    expect(report).toMatchObject({
      ok: false,
      findings: [{ check: "counter", object: "sqlite_sequence" }],
      omitted: 0,
    });
  });

  it("is part of doctor: a finding makes doctor unhealthy", () => {
    const path = demoLog();
    expect(cli(["doctor", "--db", path]).code).toBe(0);
    withDb(path, (db) => db.exec("DROP TRIGGER events_chained"));
    const doctor = cli(["doctor", "--db", path]);
    expect(doctor.code).toBe(1);
    expect(doctor.stdout).toContain("problem: log: trigger events_chained [schema]: trigger events_chained is missing");
  });
});
