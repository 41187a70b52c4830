import { describe, expect, it } from "vitest";
import { openStore, StoreError } from "../../src/index.js";
import { projectionFingerprint, rebuildProjections } from "../../src/operations.js";
import { createTestStore } from "../../src/testing/index.js";
import { batchStarted } from "../fixtures.js";
import { insertChained } from "../support.js";

const reopen = (path: string, stale?: "warn" | "refuse") => {
  const warnings: string[] = [];
  const store = openStore({ url: path, stale, onWarning: (m) => warnings.push(m) });
  return { store, warnings };
};

describe("stale projection detection", () => {
  it("a fresh store is in step with its log, and every append moves the checkpoint with it", () => {
    const store = createTestStore();
    expect(store.projectionStatus().map((s) => [s.state, s.position])).toEqual([
      ["fresh", 0],
      ["fresh", 0],
      ["fresh", 0],
    ]);
    store.append([batchStarted("b1", "2026-01-08T09:00:00Z"), batchStarted("b2", "2026-01-08T09:01:00Z")]);
    store.emit.batchStarted({ batchId: "b3" });
    expect(store.projectionStatus().map((s) => [s.state, s.position, s.head])).toEqual([
      ["fresh", 3, 3],
      ["fresh", 3, 3],
      ["fresh", 3, 3],
    ]);
    store.db.close();
    const { store: again, warnings } = reopen(store.path);
    expect(warnings).toEqual([]);
    again.close();
    store.close();
  });

  it("says when the tables were built by other projection code, and names the rebuild command; rebuild fixes it", () => {
    const store = createTestStore();
    store.append([batchStarted("b1", "2026-01-08T09:00:00Z")]);
    store.db
      .prepare(
        "UPDATE projection_state SET fingerprint = 'from-an-older-release' WHERE projection = 'creation_sessions'",
      )
      .run();
    store.db.close();
    const { store: warned, warnings } = reopen(store.path);
    expect(warnings).toEqual([
      expect.stringMatching(
        new RegExp(
          /creation_sessions \(built by other projection code: from-an-olde, this code is [0-9a-f]{12}\): /.source +
            /run `npx artist-store rebuild --db [^`]+`$/.source,
        ),
      ),
    ]);
    // Appends are not refused: the log stays the truth, the tables stay marked stale.
    warned.emit.batchStarted({ batchId: "b2" });
    expect(warned.projectionStatus().find((s) => s.projection === "creation_sessions")?.state).toBe("code");
    warned.close();
    expect(() => openStore({ url: store.path, stale: "refuse" })).toThrow(
      expect.objectContaining({
        code: "STALE_PROJECTIONS",
        message: expect.stringMatching(/npx artist-store rebuild/),
      }),
    );
    const fixer = openStore({ url: store.path, stale: "ignore" });
    rebuildProjections(fixer, { only: ["creation_sessions"] });
    expect(fixer.projectionStatus().map((s) => s.state)).toEqual(["fresh", "fresh", "fresh"]);
    fixer.close();
    store.close();
  });

  it("says when the tables lag the log (events written without their projection), and keeps saying it after later appends", () => {
    const store = createTestStore();
    store.append([batchStarted("b1", "2026-01-08T09:00:00Z")]);
    insertChained(
      store.db,
      "INSERT INTO events (event_id, stream_id, stream_version, type, schema_version, data, occurred_at, recorded_at) " +
        "VALUES ('raw-1', 'batch:b9', 1, 'BatchStarted', 1, '{\"batchId\":\"b9\"}', '2026-01-08T09:05:00.000Z', '2026-01-08T09:05:00.000Z')",
    );
    store.emit.batchStarted({ batchId: "b2" });
    expect(store.projectionStatus().map((s) => [s.state, s.position, s.head])).toEqual([
      ["lag", 1, 3],
      ["lag", 1, 3],
      ["lag", 1, 3],
    ]);
    store.db.close();
    const { store: warned, warnings } = reopen(store.path);
    expect(warnings[0]).toMatch(
      /generated_images \(at log position 1, the log is at 3\); training_sessions .*; creation_sessions .*: run `npx artist-store rebuild --db [^`]+`/,
    );
    rebuildProjections(warned);
    expect(warned.projectionStatus().map((s) => s.state)).toEqual(["fresh", "fresh", "fresh"]);
    expect(warned.db.prepare("SELECT batch_id FROM creation_sessions ORDER BY id").pluck().all()).toEqual([
      "b1",
      "b9",
      "b2",
    ]);
    warned.close();
    store.close();
  });

  it("says when nothing recorded who built the tables of a non-empty log", () => {
    const store = createTestStore();
    store.append([batchStarted("b1", "2026-01-08T09:00:00Z")]);
    store.db.prepare("DELETE FROM projection_state").run();
    store.db.close();
    const { store: warned, warnings } = reopen(store.path);
    expect(warnings[0]).toMatch(/generated_images \(no record of the code that built it\)/);
    warned.close();
    expect(() => openStore({ url: store.path, stale: "refuse" })).toThrow(StoreError);
    store.close();
  });

  it("fingerprints each projection by its SQL and the event schema versions, the same on every connection", () => {
    const a = createTestStore();
    const b = createTestStore();
    const names = ["generated_images", "training_sessions", "creation_sessions"] as const;
    const prints = names.map((n) => projectionFingerprint(a.db, n));
    expect(new Set(prints).size).toBe(3);
    expect(names.map((n) => projectionFingerprint(b.db, n))).toEqual(prints);
    expect(prints.every((p) => /^[0-9a-f]{64}$/.test(p))).toBe(true);
    a.close();
    b.close();
  });
});
