import { copyFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { describe, expect, it } from "vitest";
import { packageRoot } from "../../src/db/paths.js";
import { openStore } from "../../src/index.js";
import { auditProjections, formatAuditReport } from "../../src/operations.js";
import { createTestStore } from "../../src/testing/index.js";
import { pipelineDays, run } from "./support.js";

/** A store with two pipeline days, and a copy of it whose tables were edited by hand. */
const storeAndTamperedCopy = () => {
  const store = createTestStore();
  store.append(pipelineDays(2));
  store.db.pragma("wal_checkpoint(TRUNCATE)");
  const copy = join(dirname(store.path), "tampered.db");
  copyFileSync(store.path, copy);
  const tampered = openStore({ url: copy, stale: "ignore" });
  tampered.db.exec(`
    UPDATE generated_images SET final_score = 1.5 WHERE id = 7;
    UPDATE training_sessions SET status = 'running', completed_at = NULL WHERE id = 2;
    DELETE FROM creation_sessions WHERE id = 3;
    INSERT INTO generated_images (filename, prompt, model_id, created_at, updated_at)
      VALUES ('forged.png', 'p', 'm', '2026-03-01T00:00:00.000Z', '2026-03-01T00:00:00.000Z');
  `);
  return { store, tampered };
};

describe("auditProjections", () => {
  it("finds no drift on tables the store maintained itself", () => {
    const store = createTestStore();
    store.append(pipelineDays(2));
    const report = auditProjections(store);
    expect(report).toMatchObject({ ok: true, position: store.headPosition(), events: store.headPosition() });
    expect(report.tables.map((t) => [t.table, t.counts])).toEqual([
      ["generated_images", { missing: 0, extra: 0, differing: 0 }],
      ["quality_tiers", { missing: 0, extra: 0, differing: 0 }],
      ["training_sessions", { missing: 0, extra: 0, differing: 0 }],
      ["creation_sessions", { missing: 0, extra: 0, differing: 0 }],
      ["creation_days", { missing: 0, extra: 0, differing: 0 }],
    ]);
    expect(formatAuditReport(report, store.path)).toMatch(
      /^audit ok: generated_images, quality_tiers, training_sessions, creation_sessions, creation_days match the log at position \d+$/,
    );
    store.close();
  });

  it("reports exactly the rows edited by hand: their keys and the differing columns", () => {
    const { store, tampered } = storeAndTamperedCopy();
    const report = auditProjections(tampered);
    const images = store.rows("generated_images");
    const [gi, qt, ts, cs] = report.tables;
    expect(qt?.counts).toEqual({ missing: 0, extra: 0, differing: 0 });
    expect(report.ok).toBe(false);
    expect(gi?.differing).toEqual([
      { key: { id: 7 }, columns: [{ column: "final_score", live: 1.5, replayed: images[6]?.final_score }] },
    ]);
    expect(gi?.extra).toEqual([expect.objectContaining({ id: images.length + 1, filename: "forged.png" })]);
    expect(gi?.missing).toEqual([]);
    expect(gi?.sequence).toEqual({ live: images.length + 1, replayed: images.length });
    expect(ts?.differing).toEqual([
      {
        key: { id: 2 },
        columns: [
          { column: "completed_at", live: null, replayed: store.rows("training_sessions")[1]?.completed_at },
          { column: "status", live: "running", replayed: "failed" },
        ],
      },
    ]);
    expect(cs?.missing).toEqual([store.rows("creation_sessions")[2]]);
    expect([gi?.counts, ts?.counts, cs?.counts]).toEqual([
      { missing: 0, extra: 1, differing: 1 },
      { missing: 0, extra: 0, differing: 1 },
      { missing: 1, extra: 0, differing: 0 },
    ]);
    expect(formatAuditReport(report, tampered.path).split("\n")).toEqual([
      `generated_images: extra id=${images.length + 1} (the table has it, the log does not)`,
      `generated_images: differs id=7: final_score live 1.5 ≠ log ${String(images[6]?.final_score)}`,
      `generated_images: AUTOINCREMENT counter live ${images.length + 1} ≠ log ${images.length}`,
      expect.stringMatching(
        /^training_sessions: differs id=2: completed_at live null ≠ log "2026-.*", status live "running" ≠ log "failed"$/,
      ),
      "creation_sessions: missing id=3 (the log has it, the table does not)",
      expect.stringMatching(
        new RegExp(
          /^audit found drift at log position \d+: generated_images \(0 missing, 1 extra, 1 differing\); /.source +
            /training_sessions .*; creation_sessions .*; run `npx artist-store rebuild --db [^`]+`/.source,
        ),
      ),
    ]);
    expect(auditProjections(store).ok).toBe(true);
    tampered.close();
    store.close();
  });

  it("`artist-store audit` exits 1 on drift and 0 once `artist-store rebuild` derived the tables again", async () => {
    const { store, tampered } = storeAndTamperedCopy();
    tampered.close();
    const env = { DATABASE_URL: `sqlite:${tampered.path}` };
    const artistStore = (command: string) =>
      run(process.execPath, [join(packageRoot, "bin/artist-store.js"), command], env);
    const drift = await artistStore("audit");
    expect(drift.code).toBe(1);
    expect(drift.stdout).toMatch(/generated_images: differs id=7: final_score live 1.5/);
    const rebuild = await artistStore("rebuild");
    expect(rebuild.code).toBe(0);
    expect(rebuild.stdout).toMatch(
      new RegExp(
        /^rebuilt generated_images, quality_tiers, training_sessions, creation_sessions, creation_days /.source +
          /to log position \d+: \d+ events in [\d.]+ s \([\d ]+ events\/s\), write lock held \d+ ms\n$/.source,
      ),
    );
    const clean = await artistStore("audit");
    expect([clean.code, clean.stdout]).toEqual([0, expect.stringMatching(/^audit ok/)]);
    store.close();
  });
});
