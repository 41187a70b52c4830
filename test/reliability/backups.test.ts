import { copyFileSync, existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { openConnection } from "../../src/db/connection.js";
import { type NewEvent, openStore } from "../../src/index.js";
import { listBackups } from "../../src/maintenance/backup.js";
import { cli, cliProcess, finished } from "../cli/run.js";
import { tempDir } from "../support.js";
import { type AckedEvent, prng } from "./children/protocol.js";
import {
  auditDrift,
  logRowsById,
  logShape,
  migratedDb,
  recordFigures,
  runSeed,
  sized,
  spawnChild,
  stateHash,
} from "./support.js";

const KILLS = sized("RELIABILITY_KILLS", 20);
const BACKUP_EVENTS = sized("RELIABILITY_BACKUP_EVENTS", 10_000);
const seed = runSeed();
const figures: Record<string, unknown> = { seed };
afterAll(() => recordFigures("backups", figures));
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const BackupJson = z.object({ file: z.string() });

/** A backup file, checked the way an operator would before trusting it: integrity_check, audit, the log it holds. */
const inspectBackup = (file: string, dir: string) => {
  const copy = join(dir, `inspect-${Date.now()}-${Math.random().toString(36).slice(2)}.db`);
  copyFileSync(file, copy);
  const store = openStore({ url: copy, stale: "ignore" });
  try {
    return {
      integrity: store.db.pragma("integrity_check", { simple: true }),
      audit: auditDrift(store),
      shape: logShape(store.db),
      log: logRowsById(store.db),
      hash: stateHash(copy),
    };
  } finally {
    store.close();
  }
};

describe("SIGKILL during a backup", () => {
  it(`never harms the live database and never leaves a partial copy that passes for a backup, across ${KILLS} kills`, async () => {
    const dir = tempDir();
    const path = migratedDb(dir);
    const backups = join(dir, "backups");
    const store = openStore({ url: path });
    for (let b = 0; b * 500 < BACKUP_EVENTS; b++)
      store.append(
        Array.from(
          { length: 500 },
          (_, i): NewEvent => ({
            type: "ImageGenerated",
            data: {
              filename: `b${b}-${i}.png`,
              prompt: `a painting, batch ${b} image ${i} `.repeat(8),
              modelId: "m",
              tags: ["load"],
            },
          }),
        ),
      );
    store.close();
    const live = stateHash(path);

    // One unkilled backup: how long the copy takes from the moment its first file appears, to aim the kills at it.
    const newFile = async (known: Set<string>) => {
      while (!(existsSync(backups) && readdirSync(backups).some((n) => !known.has(n)))) await sleep(1);
    };
    const firstRun = cliProcess(["backup", "create", "--db", path, "--dir", backups, "--json"]);
    const firstDone = finished(firstRun);
    await newFile(new Set());
    const copyStarted = Date.now();
    const first = await firstDone;
    const copyMs = Date.now() - copyStarted;
    expect(first.code, first.stderr).toBe(0);
    expect(inspectBackup(BackupJson.parse(JSON.parse(first.stdout)).file, dir)).toMatchObject({
      integrity: "ok",
      audit: [],
      hash: live,
    });

    const random = prng(seed).next;
    const tally = {
      kills: 0,
      partialsLeft: 0,
      completeBackups: 0,
      partialsRefusedByRestore: 0,
      partialsCompleteAndRestored: 0,
    };
    const inspected = new Set<string>();
    let attempts = 0;
    for (let i = 0; tally.kills < KILLS && i < KILLS * 3; i++) {
      attempts++;
      const child = cliProcess(["backup", "create", "--db", path, "--dir", backups, "--json"]);
      const done = finished(child);
      // Once the copy's first file exists, a random moment of the copy, its check or its rename.
      await Promise.race([newFile(new Set(readdirSync(backups))), done]);
      await sleep(Math.floor(random() * copyMs));
      child.kill("SIGKILL");
      const exit = await done;
      if (exit.code === 0) continue; // finished before the signal: checked with the next kill, not counted as one
      tally.kills++;

      // The live database is exactly as it was.
      expect(stateHash(path), `kill ${i}: live database changed`).toBe(live);
      // Whatever the tool lists as a backup is a whole, good copy; anything else is a hidden partial.
      const listed = new Set(listBackups(path, backups).map((b) => b.file));
      for (const file of listed) {
        if (inspected.has(file)) continue;
        expect(inspectBackup(file, dir), `kill ${i}: ${file}`).toMatchObject({
          integrity: "ok",
          audit: [],
          hash: live,
        });
        inspected.add(file);
      }
      const others = readdirSync(backups)
        .map((n) => join(backups, n))
        .filter((f) => !listed.has(f));
      for (const partial of others) expect(partial, `kill ${i}`).toMatch(/\/\.[^/]+\.partial(-journal|-wal|-shm)?$/);
      tally.completeBackups = listed.size;
      tally.partialsLeft = others.length;
    }
    // Handed to restore by mistake, a file left by a kill is refused (a copy cut short rolls back to an empty file),
    // or, if the kill came after the copy was complete and checked but before its rename, restores exactly the live data.
    const partials = readdirSync(backups).filter((n) => n.endsWith(".partial"));
    for (const name of partials.slice(0, 3)) {
      const restore = cli(["restore", join(backups, name), "--db", path]);
      if (restore.code === 0) tally.partialsCompleteAndRestored++;
      else {
        expect(restore.code).toBe(1);
        expect(restore.stderr).toMatch(/is not a SQLite database|integrity|corrupt|has no ai-artist-store schema/);
        tally.partialsRefusedByRestore++;
      }
      expect(stateHash(path)).toBe(live);
    }
    expect(tally.kills).toBe(KILLS);
    expect(openConnection(path, { readonly: true }).pragma("integrity_check", { simple: true })).toBe("ok");
    figures.killDuringBackup = { ...tally, attempts, liveEvents: BACKUP_EVENTS, copyMs };
  }, 300_000);
});

describe("backups under load", () => {
  it("taken while emitters write, restore to databases that pass integrity_check and audit and hold every event acknowledged before they began", async () => {
    const dir = tempDir();
    const path = migratedDb(dir);
    const backups = join(dir, "backups");
    const setup = openStore({ url: path });
    setup.append(
      [0, 1].map((s) => ({
        type: "ImageGenerated" as const,
        data: { filename: `shared-${s}.png`, prompt: "shared", modelId: "m" },
      })),
    );
    setup.close();
    const children = Array.from({ length: 3 }, (_, i) =>
      spawnChild("emitter.ts", { DB: path, CHILD: String(i), EVENTS: "3000", SHARED: "2", SEED: String(seed + i) }),
    );
    await Promise.all(children.map((c) => c.waitUntil(() => c.acked.length > 0)));

    const taken: { file: string; ackedBefore: AckedEvent[]; stillWriting: boolean }[] = [];
    for (let n = 0; n < 3; n++) {
      const ackedBefore = children.flatMap((c) => c.acked.filter((a) => !a[4]));
      const run = await finished(cliProcess(["backup", "create", "--db", path, "--dir", backups, "--json"]));
      expect(run.code, run.stderr).toBe(0);
      const stillWriting = children.some((c) => c.proc.exitCode === null);
      taken.push({ file: BackupJson.parse(JSON.parse(run.stdout)).file, ackedBefore, stillWriting });
    }
    const exits = await Promise.all(children.map((c) => c.exited));
    children.forEach((c, i) => {
      expect(c.errors, `emitter ${i}`).toEqual([]);
      expect(exits[i]).toEqual({ code: 0, signal: null });
    });
    expect(taken.filter((t) => t.stillWriting).length).toBeGreaterThan(0);

    const held: number[] = [];
    for (const { file, ackedBefore } of taken) {
      const backup = inspectBackup(file, dir);
      expect(backup).toMatchObject({ integrity: "ok", audit: [], shape: { gapless: true, brokenStreams: [] } });
      const lost = ackedBefore.filter(
        ([id, position, stream, version]) =>
          JSON.stringify(backup.log.get(id)) !== JSON.stringify([position, stream, version]),
      );
      expect(lost, `${file}: events acknowledged before the backup began are missing`).toEqual([]);
      held.push(backup.shape.events);
    }

    // And a real restore of the middle backup over a database: the restored file is that backup.
    const target = join(dir, "restored.db");
    copyFileSync(path, target);
    const middle = taken[1]?.file ?? "";
    const restore = cli(["restore", middle, "--db", target, "--json"]);
    expect(restore.code, restore.stderr).toBe(0);
    expect(stateHash(target)).toBe(inspectBackup(middle, dir).hash);
    expect(existsSync(target)).toBe(true);
    figures.underLoad = {
      emitters: 3,
      eventsEach: 3000,
      backups: taken.length,
      takenWhileWriting: taken.filter((t) => t.stillWriting).length,
      ackedBeforeEach: taken.map((t) => t.ackedBefore.length),
      eventsInEach: held,
    };
  }, 300_000);
});
