import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it, onTestFinished } from "vitest";
import { removeLeftoversOfDeadProcesses } from "../../src/db/leftovers.js";
import { backupDatabase } from "../../src/maintenance/backup.js";
import { createScratch } from "../../src/replay/scratch.js";
import { createTestStore } from "../../src/testing/index.js";
import { tempDir } from "../support.js";

/** The pid of a process that has exited. */
const deadPid = (): number => {
  const child = spawnSync(process.execPath, ["-e", "process.stdout.write(String(process.pid))"], { encoding: "utf8" });
  return Number(child.stdout);
};

describe("leftovers of killed runs", () => {
  it("removes entries of dead processes and keeps those of live ones and unrelated files", () => {
    const dir = tempDir();
    const dead = deadPid();
    for (const name of [
      `.a.db.scratch-${dead}-x1`,
      `.a.db.scratch-${process.pid}-x2`,
      `.a.db.scratch-${process.ppid}-x3`,
      "a.db",
      ".a.db.scratch-old",
    ])
      mkdirSync(join(dir, name));
    expect(removeLeftoversOfDeadProcesses(dir, /^\.a\.db\.scratch-(\d+)-/)).toEqual([`.a.db.scratch-${dead}-x1`]);
    expect(readdirSync(dir).sort()).toEqual(
      [".a.db.scratch-old", `.a.db.scratch-${process.pid}-x2`, `.a.db.scratch-${process.ppid}-x3`, "a.db"].sort(),
    );
  });

  it("a new scratch beside the store removes the folder a killed rebuild left", () => {
    const store = createTestStore();
    onTestFinished(store.close);
    const left = join(store.path, "..", `.store.db.scratch-${deadPid()}-abcdef`);
    mkdirSync(left);
    writeFileSync(join(left, "scratch.db"), "half a rebuild");
    const scratch = createScratch(store.path);
    expect(existsSync(left)).toBe(false);
    expect(scratch.path).toContain(`.store.db.scratch-${process.pid}-`);
    scratch.dispose();
  });

  it("a new backup removes the partial copy (and its journal) a killed backup left", async () => {
    const store = createTestStore();
    onTestFinished(store.close);
    store.emit.batchStarted({ batchId: "b1" });
    const dir = join(tempDir(), "backups");
    mkdirSync(dir);
    const dead = deadPid();
    const partial = `.store_20260101_000000.db.${dead}.partial`;
    writeFileSync(join(dir, partial), "torn");
    writeFileSync(join(dir, `${partial}-journal`), "torn");
    const { file } = await backupDatabase(store.path, { dir });
    expect(readdirSync(dir)).toEqual([file.split("/").pop()]);
  });
});
