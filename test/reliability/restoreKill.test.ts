import { copyFileSync, existsSync, mkdirSync, readdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { type NewEvent, openStore, type Store } from "../../src/index.js";
import { backupDatabase } from "../../src/operations.js";
import { tempDir } from "../support.js";
import { prng } from "./children/protocol.js";
import {
  auditDrift,
  type Child,
  canonicalDump,
  fileHash,
  killLeftoverProcesses,
  logShape,
  migratedDb,
  recordFigures,
  runSeed,
  sha256,
  sized,
  spawnChild,
} from "./support.js";

const KILLS = sized("RELIABILITY_KILLS", 20);
/** The live log, in batches of 100: its first half is in the backup. */
const BATCHES = 2 * Math.max(1, Math.round(sized("RELIABILITY_RESTORE_KILL_EVENTS", 4000) / 200));
const EVENTS = BATCHES * 100;
const seed = runSeed();
const figures: Record<string, unknown> = { seed, logEvents: EVENTS };
afterAll(() => recordFigures("restore-kill", figures));
afterAll(killLeftoverProcesses);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const SIDE = ["-wal", "-shm", "-journal"];
/** The log, canonically: the schema and every event by position (a restore may rewrite other rows' rowids). */
const logHash = (store: Store) => sha256(canonicalDump(store.db, ["events"]));

const fill = (store: Store, from: number, to: number) => {
  for (let b = from; b < to; b++)
    store.append(
      Array.from(
        { length: 100 },
        (_, i): NewEvent => ({
          type: "ImageGenerated",
          data: { filename: `b${b}-${i}.png`, prompt: `restore me, batch ${b} image ${i} `.repeat(6), modelId: "m" },
        }),
      ),
    );
};

/**
 * A database as whoever opens it next finds it (SQLite recovers a -wal or rolls back a
 * -journal on open): checked on a private copy of the file and its side files, so that
 * opening it changes nothing the test looks at afterwards.
 */
const inspect = (file: string, scratch: string) => {
  const copy = join(scratch, `inspect-${Date.now()}-${Math.random().toString(36).slice(2)}.db`);
  copyFileSync(file, copy);
  for (const s of SIDE) if (existsSync(file + s)) copyFileSync(file + s, copy + s);
  let store: Store;
  try {
    store = openStore({ url: copy, stale: "ignore" });
  } catch (e) {
    // A torn or empty file: the assertions name it instead of stopping at the first.
    return { opens: e instanceof Error ? e.message : String(e) };
  }
  try {
    const shape = logShape(store.db);
    return {
      opens: "yes",
      integrity: store.db.pragma("integrity_check", { simple: true }),
      log: logHash(store),
      gapless: shape.gapless,
      brokenStreams: shape.brokenStreams,
      audit: auditDrift(store),
      events: shape.events,
    };
  } finally {
    store.close();
  }
};

describe("SIGKILL during a restore", () => {
  it(`leaves the live database whole, holding its old content or the backup's, and every aside copy complete, across ${KILLS} kills`, async () => {
    const dir = tempDir();
    const liveDir = join(dir, "live");
    const scratch = join(dir, "scratch");
    mkdirSync(liveDir);
    mkdirSync(scratch);
    const live = migratedDb(liveDir);
    const store = openStore({ url: live });
    fill(store, 0, BATCHES / 2);
    const { file: backup } = await backupDatabase(live, { dir: join(dir, "backups") });
    // The live database moves on after its backup: restoring goes back, and the aside copy must keep what came after.
    fill(store, BATCHES / 2, BATCHES);
    store.db.pragma("wal_checkpoint(TRUNCATE)");
    store.close();
    const template = join(dir, "old.db");
    copyFileSync(live, template);
    const old = inspect(template, scratch);
    const restored = inspect(backup, scratch);
    const backupBytes = fileHash(backup);
    expect(old).toMatchObject({ opens: "yes", integrity: "ok", gapless: true, audit: [], events: EVENTS });
    expect(restored).toMatchObject({ opens: "yes", integrity: "ok", gapless: true, audit: [], events: EVENTS / 2 });

    const resetLive = () => {
      for (const name of readdirSync(liveDir)) rmSync(join(liveDir, name), { force: true });
      copyFileSync(template, live);
    };
    /** What a restore left beside the live database: visible files are aside copies, hidden ones its scratch. */
    const besideLive = () => {
      const own = new Set(["store.db", ...SIDE.map((s) => `store.db${s}`)]);
      const names = readdirSync(liveDir).filter((n) => !own.has(n));
      return {
        aside: names.filter((n) => !n.startsWith(".") && !SIDE.some((s) => n.endsWith(s))),
        hidden: names.filter((n) => n.startsWith(".")),
      };
    };
    /** The live database and every aside copy after a restore ended, however it ended. */
    const afterRestore = () => {
      const liveState = existsSync(live) ? inspect(live, scratch) : undefined;
      const { aside, hidden } = besideLive();
      const asideStates = aside.map((n) => ({ name: n, ...inspect(join(liveDir, n), scratch) }));
      // The next user opens it in place and appends.
      let appendsAfter = false;
      if (liveState?.events !== undefined) {
        const next = openStore({ url: live });
        appendsAfter = next.emit.batchStarted({ batchId: "after-the-restore" }).position === liveState.events + 1;
        next.close();
      }
      return { liveState, asideStates, hidden, appendsAfter };
    };
    const liveIs = (state: ReturnType<typeof inspect> | undefined) =>
      state?.log === old.log ? "old" : state?.log === restored.log ? "backup" : "neither";

    // A restorer starts (a second or two under tsx) while the previous kill is checked, and restores when told.
    const spawnRestorer = () => spawnChild("restorer.ts", { FROM: backup, LIVE: live });
    const go = async (child: Child) => {
      await child.waitUntil(() => child.ready());
      resetLive();
      child.proc.stdin?.write("go\n");
      await child.waitUntil(() => phase(child, "restoring"));
    };
    const phase = (child: Child, name: string) => child.messages.some((m) => m.t === "phase" && m.name === name);

    // One restore that runs to its end: how long it takes, to spread the kills over it.
    const timing = spawnRestorer();
    let next = spawnRestorer();
    await go(timing);
    const startedAt = Date.now();
    await timing.waitUntil(() => phase(timing, "restored") || timing.errors.length > 0);
    const restoreMs = Date.now() - startedAt;
    timing.proc.kill("SIGKILL");
    await timing.exited;
    expect(timing.errors, "an unkilled restore").toEqual([]);
    const full = afterRestore();
    expect(liveIs(full.liveState)).toBe("backup");
    expect(full.asideStates).toMatchObject([{ opens: "yes", integrity: "ok", log: old.log, audit: [] }]);

    const random = prng(seed).next;
    let windowMs = restoreMs;
    const outcome = {
      killsDuringRestore: 0,
      killsAfterReturn: 0,
      liveOld: 0,
      liveBackup: 0,
      asideCopiesChecked: 0,
      hiddenLeftovers: 0,
    };
    for (let i = 0; outcome.killsDuringRestore < KILLS && i < KILLS * 3; i++) {
      const child = next;
      await go(child);
      await sleep(Math.floor(random() * windowMs));
      // The kills aim at a window as long as a restore takes here and now: it shrinks after a kill that came too late.
      if (phase(child, "restored")) {
        outcome.killsAfterReturn++;
        windowMs = Math.max(5, windowMs * 0.85);
      } else {
        outcome.killsDuringRestore++;
        windowMs *= 1.05;
      }
      child.proc.kill("SIGKILL");
      const exit = await child.exited;
      expect(exit.signal, `kill ${i}`).toBe("SIGKILL");
      expect(child.errors, `kill ${i}: the restore failed on its own`).toEqual([]);
      next = spawnRestorer();

      const after = afterRestore();
      const which = liveIs(after.liveState);
      expect(
        { live: which, ...after.liveState, log: undefined, events: undefined },
        `kill ${i} (seed ${seed}): the live database`,
      ).toMatchObject({
        live: expect.stringMatching(/^(old|backup)$/),
        opens: "yes",
        integrity: "ok",
        gapless: true,
        audit: [],
      });
      expect(after.appendsAfter, `kill ${i}: the store appends after the kill`).toBe(true);
      for (const a of after.asideStates)
        expect(
          { ...a, complete: a.log === old.log, log: undefined },
          `kill ${i}: the aside copy ${a.name} holds all the live database had`,
        ).toMatchObject({ opens: "yes", integrity: "ok", complete: true, gapless: true, audit: [] });
      expect(fileHash(backup), `kill ${i}: the backup itself is unchanged`).toBe(backupBytes);
      outcome[which === "old" ? "liveOld" : "liveBackup"]++;
      outcome.asideCopiesChecked += after.asideStates.length;
      outcome.hiddenLeftovers += after.hidden.length;
    }
    next.proc.kill("SIGKILL");
    await next.exited;
    expect(outcome.killsDuringRestore).toBe(KILLS);
    figures.kills = outcome.killsDuringRestore;
    figures.outcome = outcome;
    figures.childRestoreMs = restoreMs;
    figures.killWindowMs = Math.round(windowMs);
  }, 300_000);
});
