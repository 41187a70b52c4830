import { readdirSync } from "node:fs";
import { dirname } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { type NewEvent, openStore, type Store } from "../../src/index.js";
import { rebuildProjections } from "../../src/operations.js";
import { tempDir } from "../support.js";
import { prng } from "./children/protocol.js";
import {
  auditDrift,
  canonicalDump,
  killLeftoverProcesses,
  migratedDb,
  recordFigures,
  runSeed,
  sha256,
  sized,
  spawnChild,
} from "./support.js";

const KILLS = sized("RELIABILITY_KILLS", 20);
const EVENTS = sized("RELIABILITY_REBUILD_EVENTS", 6000);
const seed = runSeed();
const figures: Record<string, unknown> = { seed, kills: KILLS, logEvents: EVENTS };
afterAll(() => recordFigures("rebuild-crash", figures));
afterAll(killLeftoverProcesses);

const TABLES = ["generated_images", "training_sessions", "creation_sessions", "sqlite_sequence"];
const tablesHash = (store: Store) => sha256(canonicalDump(store.db, TABLES));
/** Half the images' scores wiped and a batch removed: a rebuild must rewrite thousands of rows, so its swap takes a while. */
const tamper = (store: Store) =>
  store.db.exec(`
    UPDATE generated_images SET final_score = NULL, status = 'pending', is_featured = 0 WHERE id % 2 = 0;
    DELETE FROM creation_sessions WHERE id = 1;
  `);

const fill = (store: Store, events: number) => {
  for (let b = 0; b * 100 < events; b++) {
    const batch: NewEvent[] = [{ type: "BatchStarted", data: { batchId: `b${b}`, theme: "rebuild" } }];
    for (let i = 0; i < 49; i++) {
      batch.push({
        type: "ImageGenerated",
        data: { filename: `b${b}-${i}.png`, prompt: `image ${i} of batch ${b}`, modelId: "m" },
      });
      batch.push({
        type: "ImageCurated",
        data: { filename: `b${b}-${i}.png`, status: "curated", finalScore: (i % 100) / 10, isFeatured: i % 7 === 0 },
      });
    }
    batch.push({ type: "BatchFinished", data: { batchId: `b${b}`, imagesCreated: 49, imagesKept: 49 } });
    store.append(batch);
  }
};

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe("SIGKILL during a rebuild", () => {
  it(`leaves the tables old or new, never half, across ${KILLS} kills; a fresh rebuild then audits clean`, async () => {
    const path = migratedDb(tempDir());
    const store = openStore({ url: path, stale: "ignore" });
    fill(store, EVENTS);
    expect(auditDrift(store)).toEqual([]);
    const clean = tablesHash(store);
    tamper(store);
    const tampered = tablesHash(store);
    expect(tampered).not.toBe(clean);

    rebuildProjections(store);
    expect(tablesHash(store)).toBe(clean);

    // A first child rebuilds unkilled: how long its replay and its swap take, to spread the kills over them.
    tamper(store);
    const timing = spawnChild("rebuilder.ts", { DB: path });
    const at: Record<string, number> = {};
    for (const name of ["rebuilding", "replayed", "rebuilt"]) {
      await timing.waitUntil(() => timing.messages.some((m) => m.t === "phase" && m.name === name));
      at[name] = Date.now();
    }
    timing.proc.kill("SIGKILL");
    await timing.exited;
    const replayMs = (at.replayed ?? 0) - (at.rebuilding ?? 0);
    const swapMs = (at.rebuilt ?? 0) - (at.replayed ?? 0);
    expect(tablesHash(store)).toBe(clean);

    const random = prng(seed).next;
    const outcome = { killsDuringRebuild: 0, killedInSwapPhase: 0, killsAfterReturn: 0, tablesOld: 0, tablesNew: 0 };
    // Kills that land after the rebuild returned are checked too, but only kills during one count towards KILLS.
    for (let i = 0; outcome.killsDuringRebuild < KILLS && i < KILLS * 3; i++) {
      tamper(store);
      const child = spawnChild("rebuilder.ts", { DB: path });
      const phase = (name: string) => child.messages.some((m) => m.t === "phase" && m.name === name);
      // Every other kill aims at the swap: after the log was replayed aside, before or just after the commit.
      if (i % 2 === 0) {
        await child.waitUntil(() => phase("rebuilding"));
        await sleep(Math.floor(random() * replayMs * 1.2));
      } else {
        await child.waitUntil(() => phase("replayed"));
        await sleep(Math.floor(random() * swapMs));
      }
      if (phase("rebuilt")) outcome.killsAfterReturn++;
      else outcome.killsDuringRebuild++;
      if (phase("replayed") && !phase("rebuilt")) outcome.killedInSwapPhase++;
      child.proc.kill("SIGKILL");
      const exit = await child.exited;
      expect(exit.signal, `kill ${i}`).toBe("SIGKILL");
      expect(child.errors, `kill ${i}`).toEqual([]);

      // A new connection sees what the killed rebuild left: the tampered tables or the rebuilt ones.
      const after = openStore({ url: path, stale: "ignore" });
      const seen = tablesHash(after);
      expect([tampered, clean], `kill ${i}: tables are neither the old nor the new ones`).toContain(seen);
      outcome[seen === clean ? "tablesNew" : "tablesOld"]++;
      expect(after.db.pragma("quick_check", { simple: true })).toBe("ok");
      rebuildProjections(after);
      expect(auditDrift(after), `kill ${i}: audit after a fresh rebuild`).toEqual([]);
      expect(tablesHash(after)).toBe(clean);
      after.close();
    }
    store.close();
    expect(outcome.killsDuringRebuild).toBe(KILLS);
    figures.outcome = outcome;
    figures.childReplayMs = replayMs;
    figures.childSwapMs = swapMs;
    // A killed rebuild cannot remove its scratch folder: count what is left beside the database.
    figures.scratchFoldersLeftBehind = readdirSync(dirname(path)).filter((n) => n.includes(".scratch-")).length;
  }, 300_000);
});
