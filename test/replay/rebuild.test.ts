import { spawn } from "node:child_process";
import { readdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { describe, expect, it } from "vitest";
import { openConnection } from "../../src/db/connection.js";
import { StoreError } from "../../src/index.js";
import { auditProjections, type Progress, projectionDigests, rebuildProjections } from "../../src/operations.js";
import { createTestStore } from "../../src/testing/index.js";
import { insertChained, tempDir } from "../support.js";
import { pipelineDays, tsxBin } from "./support.js";

const sequences = (db: { prepare: (sql: string) => { all: () => unknown[] } }) =>
  db.prepare("SELECT name, seq FROM sqlite_sequence WHERE name != 'events' ORDER BY name").all();

describe("rebuildProjections", () => {
  it("derives byte-identical tables from the log, ids and AUTOINCREMENT counters included", () => {
    const store = createTestStore();
    store.append(pipelineDays(2));
    const live = projectionDigests(store.db);
    const counters = sequences(store.db);
    store.db.exec(
      "DELETE FROM generated_images; DELETE FROM training_sessions; UPDATE sqlite_sequence SET seq = seq + 100",
    );
    const result = rebuildProjections(store);
    expect(result).toMatchObject({
      events: store.headPosition(),
      position: store.headPosition(),
      tables: ["generated_images", "quality_tiers", "training_sessions", "creation_sessions", "creation_days"],
    });
    expect(projectionDigests(store.db)).toEqual(live);
    expect(sequences(store.db)).toEqual(counters);
    store.close();
  });

  it("rebuilds one projection alone and leaves the other tables untouched", () => {
    const store = createTestStore();
    store.append(pipelineDays(1));
    const live = projectionDigests(store.db);
    store.db.exec("UPDATE generated_images SET status = 'rejected'; DELETE FROM creation_sessions WHERE id = 2");
    const tampered = projectionDigests(store.db);
    rebuildProjections(store, { only: ["creation_sessions"] });
    expect(projectionDigests(store.db)).toEqual({ ...tampered, creation_sessions: live.creation_sessions });
    store.close();
  });

  it("reports progress page by page up to the whole log", () => {
    const store = createTestStore();
    store.append(pipelineDays(8));
    const seen: Progress[] = [];
    rebuildProjections(store, { onProgress: (p) => seen.push(p) });
    expect(seen.length).toBeGreaterThan(1);
    expect(seen.map((p) => p.done)).toEqual([...seen.map((p) => p.done)].sort((a, b) => a - b));
    expect(seen.at(-1)).toEqual({ done: store.headPosition(), total: store.headPosition() });
    store.close();
  });

  it("keeps the old tables whole while building aside, and changes nothing when the replay fails", () => {
    const store = createTestStore();
    store.append(pipelineDays(4));
    const live = projectionDigests(store.db);
    const reader = openConnection(store.path, { readonly: true });
    const seenByReader: Record<string, string>[] = [];
    rebuildProjections(store, { onProgress: () => seenByReader.push(projectionDigests(reader)) });
    expect(seenByReader.length).toBeGreaterThan(0);
    for (const digests of seenByReader) expect(digests).toEqual(live);
    store.db.exec("UPDATE generated_images SET final_score = 0 WHERE id = 1");
    const tampered = projectionDigests(store.db);
    // A row no handler can read, as foreign code might write it: the replay stops there.
    insertChained(
      store.db,
      "INSERT INTO events (event_id, stream_id, stream_version, type, schema_version, data, occurred_at, recorded_at) " +
        "VALUES ('x', 'batch:x', 1, 'BatchExploded', 1, '{}', '2026-03-01T00:00:00.000Z', '2026-03-01T00:00:00.000Z')",
    );
    expect(() => rebuildProjections(store)).toThrow(StoreError);
    expect(projectionDigests(store.db)).toEqual(tampered);
    expect(readdirSync(dirname(store.path)).filter((f) => f.includes("scratch"))).toEqual([]);
    reader.close();
    store.close();
  });

  it("does not fail a pipeline process emitting during the rebuild: it waits for the short swap only", async () => {
    const store = createTestStore();
    store.append(pipelineDays(12));
    const stopFile = join(dirname(store.path), "stop");
    const child = spawn(tsxBin, [
      join(import.meta.dirname, "../reliability/children/batchEmitter.ts"),
      store.path,
      stopFile,
    ]);
    let out = "";
    child.stdout.on("data", (b: Buffer) => (out += b.toString()));
    const exited = new Promise<number | null>((resolve) => child.on("close", resolve));
    const startHead = store.headPosition();
    while (store.headPosition() < startHead + 20) await new Promise((r) => setTimeout(r, 20));
    const before = store.headPosition();
    const result = rebuildProjections(store);
    const afterRebuild = store.headPosition();
    await new Promise((r) => setTimeout(r, 100));
    writeFileSync(stopFile, "");
    expect(await exited).toBe(0);
    const report = JSON.parse(out.trim().split("\n").at(-1) ?? "{}") as { emitted: number; failures: string[] };
    expect(report.failures).toEqual([]);
    // The emitter kept appending while the tables were built aside, and the swap caught up with it.
    expect(result.position).toBeGreaterThan(before);
    expect(afterRebuild).toBeGreaterThan(before);
    expect(
      store.db.prepare("SELECT count(*) FROM creation_sessions WHERE batch_id LIKE 'emitter-%'").pluck().get(),
    ).toBe(report.emitted);
    expect(auditProjections(store).ok).toBe(true);
    store.close();
  });

  it("puts back a row whose value was swapped for a blob of the same bytes", () => {
    const store = createTestStore();
    store.append(pipelineDays(1));
    const live = projectionDigests(store.db);
    // The swap compares this column with IS alone (see the next test): IS must tell text from a blob.
    store.db.exec("UPDATE generated_images SET tags = CAST(tags AS BLOB) WHERE id = 1");
    expect(projectionDigests(store.db)).not.toEqual(live);
    rebuildProjections(store);
    expect(projectionDigests(store.db)).toEqual(live);
    store.close();
  });

  it("relies on affinities that keep one storage class per value: the swap compares those columns with IS alone", () => {
    const db = openConnection(join(tempDir(), "affinity.db"), { create: true });
    db.exec("CREATE TABLE t (i INTEGER, n NUMERIC, b BOOLEAN, d DATETIME, j JSON, r REAL, x TEXT, none)");
    db.exec("INSERT INTO t VALUES (9.0, 9.0, 1.0, 9.0, 9.0, 9, 9, 9.0), (9, 9, 1, 9, 9, 9.0, 9.0, 9)");
    const classes = db
      .prepare(
        "SELECT typeof(i), typeof(n), typeof(b), typeof(d), typeof(j), typeof(r), typeof(x), typeof(none) FROM t",
      )
      .raw()
      .all();
    expect(classes).toEqual([
      ["integer", "integer", "integer", "integer", "integer", "real", "text", "real"],
      ["integer", "integer", "integer", "integer", "integer", "real", "text", "integer"],
    ]);
    db.close();
  });
});
