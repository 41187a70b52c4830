import { spawnSync } from "node:child_process";
import { mkdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { openConnection } from "../../src/db/connection.js";
import { openStore } from "../../src/index.js";
import { tempDir } from "../support.js";
import {
  auditDrift,
  type Child,
  logRowsById,
  logShape,
  migratedDb,
  recordFigures,
  replayMismatches,
  runSeed,
  spawnChild,
} from "./support.js";

const seed = runSeed();
const figures: Record<string, unknown> = { seed };
afterAll(() => recordFigures("disk-and-lock-faults", figures));
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** After the fault: the store opens, holds every acknowledged event and nothing from a failed call, matches a replay, and appends again. */
const expectIntactAfterFault = (path: string, dir: string, acked: Child["acked"], setupEvents: number) => {
  const store = openStore({ url: path });
  const log = logRowsById(store.db);
  const lost = acked.filter(
    ([id, position, stream, version]) => JSON.stringify(log.get(id)) !== JSON.stringify([position, stream, version]),
  );
  expect(lost, "acknowledged events lost").toEqual([]);
  expect(logShape(store.db)).toMatchObject({ events: setupEvents + acked.length, gapless: true, brokenStreams: [] });
  expect(store.db.pragma("integrity_check", { simple: true })).toBe("ok");
  expect(replayMismatches(path, dir)).toEqual([]);
  expect(auditDrift(store), "audit").toEqual([]);
  expect(store.emit.batchStarted({ batchId: "after-the-fault" }).position).toBe(setupEvents + acked.length + 1);
  store.close();
};

/** Run the filler child until the disk is full; return it after it stopped. */
const fillUntilFull = async (path: string, shellPrefix?: string) => {
  const child = spawnChild("filler.ts", { DB: path, SEED: String(seed) }, shellPrefix ? { shellPrefix } : {});
  const exit = await child.exited;
  expect(exit, child.stderr()).toEqual({ code: 0, signal: null });
  expect(child.acked.length).toBeGreaterThan(0);
  expect(child.errors).toHaveLength(3);
  return child;
};

describe("a full disk during appends", () => {
  it("gives a clear error naming the file, writes nothing of the failed call, and loses nothing acknowledged", async () => {
    const variants: string[] = [];

    // A file-size limit works everywhere: bash's ulimit -f (KiB), SIGXFSZ ignored so write() fails with EFBIG.
    const limited = tempDir();
    const path = migratedDb(limited);
    const limitKiB = Math.ceil(statSync(path).size / 1024) + 400;
    const child = await fillUntilFull(path, `trap '' XFSZ; ulimit -f ${limitKiB}`);
    for (const error of child.errors) {
      expect(error.code).toBe("DISK_IO_ERROR");
      expect(error.message).toContain(`cannot write to ${path}: disk I/O error (SQLITE_IOERR`);
      expect(error.message).toContain("nothing of this append was written");
    }
    expectIntactAfterFault(path, limited, child.acked, 0);
    variants.push(
      `ulimit -f ${limitKiB} KiB: ${child.acked.length} events acknowledged, then ${child.errors.length} x ${child.errors[0]?.code}`,
    );

    // A real full file system when this machine lets us mount one (root): a 1 MiB tmpfs.
    const mountPoint = join(tempDir(), "tmpfs");
    mkdirSync(mountPoint);
    if (spawnSync("mount", ["-t", "tmpfs", "-o", "size=1m", "tmpfs", mountPoint]).status === 0) {
      try {
        const onTmpfs = migratedDb(mountPoint);
        const filler = await fillUntilFull(onTmpfs);
        for (const error of filler.errors) {
          expect(error.code).toBe("DISK_FULL");
          expect(error.message).toContain(`cannot write to ${onTmpfs}: the disk is full (SQLITE_FULL)`);
        }
        // Free space, as an operator would, and check that nothing acknowledged was lost.
        expect(spawnSync("mount", ["-o", "remount,size=16m", mountPoint]).status).toBe(0);
        expectIntactAfterFault(onTmpfs, mountPoint, filler.acked, 0);
        variants.push(
          `tmpfs of 1 MiB: ${filler.acked.length} events acknowledged, then ${filler.errors.length} x ${filler.errors[0]?.code}`,
        );
      } finally {
        spawnSync("umount", ["-l", mountPoint]);
      }
    } else variants.push("tmpfs: not run (mount refused: not root)");
    figures.fullDisk = variants;
  }, 120_000);
});

describe("lock faults", () => {
  const emitters = (path: string, count: number, events: number, env: Record<string, string> = {}) =>
    Array.from({ length: count }, (_, i) =>
      spawnChild("emitter.ts", {
        DB: path,
        CHILD: String(i),
        EVENTS: String(events),
        SHARED: "1",
        SEED: String(seed + i),
        ...env,
      }),
    );
  const sharedImage = (path: string) => {
    const store = openStore({ url: path });
    store.emit.imageGenerated({ filename: "shared-0.png", prompt: "shared", modelId: "m" });
    store.close();
  };
  const expectAllSucceeded = async (children: Child[]) => {
    const exits = await Promise.all(children.map((c) => c.exited));
    children.forEach((c, i) => {
      expect(c.errors, `emitter ${i}`).toEqual([]);
      expect(exits[i]).toEqual({ code: 0, signal: null });
    });
  };

  it("a reader holding a long read transaction does not make emitters fail, and keeps its snapshot", async () => {
    const dir = tempDir();
    const path = migratedDb(dir);
    sharedImage(path);
    const reader = openConnection(path, { readonly: true });
    reader.exec("BEGIN");
    const seen = reader.prepare("SELECT count(*) FROM events").pluck();
    const before = seen.get();
    const children = emitters(path, 3, 1000);
    await expectAllSucceeded(children);
    // Still inside its transaction: the reader sees the log as it was when it began.
    expect(seen.get()).toBe(before);
    reader.exec("COMMIT");
    expect(seen.get()).toBe(1 + children.reduce((n, c) => n + c.acked.filter((a) => !a[4]).length, 0));
    reader.close();
    expectIntactAfterFault(
      path,
      dir,
      children.flatMap((c) => c.acked.filter((a) => !a[4])),
      1,
    );
    figures.longReader = { emitters: 3, eventsEach: 1000, emitterErrors: 0 };
  }, 120_000);

  it("a writer holding the lock makes emitters wait, then they all succeed", async () => {
    const dir = tempDir();
    const path = migratedDb(dir);
    sharedImage(path);
    const holder = openConnection(path);
    holder.exec("BEGIN IMMEDIATE");
    const children = emitters(path, 3, 300);
    await Promise.all(children.map((c) => c.waitUntil(() => c.messages.some((m) => m.t === "ready"))));
    await sleep(1500);
    // Nobody got through while the lock was held, and nobody failed.
    expect(children.map((c) => c.acked.length)).toEqual([0, 0, 0]);
    expect(children.flatMap((c) => c.errors)).toEqual([]);
    holder.exec("COMMIT");
    await expectAllSucceeded(children);
    holder.close();
    expectIntactAfterFault(
      path,
      dir,
      children.flatMap((c) => c.acked.filter((a) => !a[4])),
      1,
    );
    figures.lockHolder = { emitters: 3, heldMsAfterReady: 1500, emitterErrors: 0 };
  }, 120_000);

  it("a lock held past the busy timeout is ridden out by the bounded retry", async () => {
    const dir = tempDir();
    const path = migratedDb(dir);
    sharedImage(path);
    const holder = openConnection(path);
    holder.exec("BEGIN IMMEDIATE");
    // 300 ms busy timeout, lock held 1 s after they start: one wait alone would fail; 6 waits with back-off (about 2.6 s) do not.
    const children = emitters(path, 2, 200, { BUSY_TIMEOUT_MS: "300" });
    await Promise.all(children.map((c) => c.waitUntil(() => c.messages.some((m) => m.t === "ready"))));
    await sleep(1000);
    expect(children.map((c) => c.acked.length)).toEqual([0, 0]);
    holder.exec("COMMIT");
    await expectAllSucceeded(children);
    holder.close();
    expectIntactAfterFault(
      path,
      dir,
      children.flatMap((c) => c.acked.filter((a) => !a[4])),
      1,
    );
  }, 120_000);

  it("a lock never released ends in one clear STORE_BUSY, with nothing written", async () => {
    const dir = tempDir();
    const path = migratedDb(dir);
    sharedImage(path);
    const holder = openConnection(path);
    holder.exec("BEGIN IMMEDIATE");
    const [child] = emitters(path, 1, 10, { BUSY_TIMEOUT_MS: "100" });
    if (!child) throw new Error("no child");
    await child.waitUntil(() => child.errors.length > 0);
    holder.exec("COMMIT");
    holder.close();
    await child.exited;
    expect(child.errors).toEqual([
      expect.objectContaining({
        code: "STORE_BUSY",
        message: "database stayed locked by another writer through 6 busy timeouts",
      }),
    ]);
    expect(child.acked).toEqual([]);
    expectIntactAfterFault(path, dir, [], 1);
    figures.lockNeverReleased = child.errors[0]?.code;
  }, 120_000);
});
