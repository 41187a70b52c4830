import { closeSync, openSync, readdirSync, rmSync, statfsSync, writeSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { pipelineDay } from "../../src/demo/pipelineDay.js";
import { openStore } from "../../src/index.js";
import { backupDatabase } from "../../src/maintenance/backup.js";
import { cli } from "../cli/run.js";
import { tempDir } from "../support.js";
import { mountTmpfs, readOnlyView, recordFigures, stateHash } from "./support.js";

const figures: Record<string, unknown> = {};
afterAll(() => recordFigures("full-and-read-only-disks", figures));

/** A store holding one demo day, closed (its WAL checkpointed away). */
const demoStore = (dir: string): string => {
  const path = join(dir, "store.db");
  const store = openStore({ url: path, migrate: true });
  store.append(pipelineDay({ day: "2026-01-08" }));
  store.close();
  return path;
};

/** Fill a file system until `leaveKb` KiB are free; returns the filler's path. */
const fillDisk = (dir: string, leaveKb: number): string => {
  const filler = join(dir, "filler");
  const { bavail, bsize } = statfsSync(dir);
  const bytes = bavail * bsize - leaveKb * 1024;
  const fd = openSync(filler, "w");
  const chunk = Buffer.alloc(64 * 1024);
  for (let written = 0; written < bytes; ) written += writeSync(fd, chunk, 0, Math.min(chunk.length, bytes - written));
  closeSync(fd);
  return filler;
};

describe("a full disk during rebuild and audit", () => {
  it("gives one DISK_FULL line, leaves no scratch folder, and leaves the store as it was", () => {
    const disk = mountTmpfs(tempDir(), 4096);
    if (!disk) {
      figures.fullDisk = "not run: mount refused (not root)";
      return;
    }
    try {
      const path = demoStore(disk.dir);
      const before = stateHash(path);
      const outcomes: Record<string, string[]> = {};
      // From too little space to open the store's own -shm, to enough for the scratch copy but not for the replay.
      for (const leaveKb of [0, 8, 64, 200, 300, 500]) {
        const filler = fillDisk(disk.dir, leaveKb);
        const seenHere: string[] = [];
        outcomes[`${leaveKb} KiB free`] = seenHere;
        for (const command of ["rebuild", "audit"]) {
          const run = cli([command, "--db", path]);
          const cause = /^error: cannot (write the scratch|open database)[^\n]*\((ENOSPC|SQLITE_\w+)\)/.exec(
            run.stderr,
          );
          const where = run.stderr.includes(".scratch-") ? "the scratch" : "opening the store";
          const seen = `${command}: exit ${run.code}${cause ? `, ${cause[2]} at ${where}` : ""}, ${run.stderr.split("\n").length - 1} line(s)`;
          seenHere.push(seen);
          if (run.code === 0) continue;
          expect(run.code, seen).toBe(1);
          expect(run.stderr, seen).toMatch(
            /^error: cannot (write the scratch database of a replay beside the store \(\S+\)|open database \S+): the disk is full \((ENOSPC|SQLITE_FULL|SQLITE_IOERR_SHMSIZE)\)[^\n]*free space and retry\n$/,
          );
          expect(readdirSync(disk.dir).filter((n) => n.includes(".scratch-"))).toEqual([]);
        }
        rmSync(filler);
      }
      expect(
        Object.values(outcomes)
          .flat()
          .filter((o) => o.includes("exit 1")).length,
      ).toBeGreaterThan(0);
      expect(stateHash(path)).toBe(before);
      // With space again, both work.
      expect(cli(["rebuild", "--db", path]).code).toBe(0);
      expect(cli(["audit", "--db", path]).code).toBe(0);
      figures.fullDisk = outcomes;
    } finally {
      disk.unmount();
    }
  }, 120_000);
});

describe("a read-only disk", () => {
  it("gives one line naming it for each command, and creates nothing", async () => {
    const dir = join(tempDir(), "data");
    const path = demoStore(dir);
    const elsewhere = tempDir();
    const backup = await backupDatabase(path, { dir: join(elsewhere, "backups") });
    const view = readOnlyView(dir);
    try {
      const db = join(view.dir, "store.db");
      const before = readdirSync(view.dir).sort();
      const commands = [
        ["query", "recent"],
        ["events", "--limit", "1"],
        ["doctor"],
        ["rebuild"],
        ["audit"],
        ["backup"],
        ["backup", "--dir", join(elsewhere, "more-backups")],
        ["emit"],
        ["migrate"],
        ["migrate", "status"],
        ["restore", backup.file],
      ];
      const lines: Record<string, string> = {};
      for (const command of commands) {
        const run = cli([...command, "--db", db], { input: '{"type":"BatchStarted","data":{"batchId":"b"}}\n' });
        const name = command.join(" ");
        lines[name] = run.stderr.trim();
        expect(run.code, name).toBe(1);
        expect(run.stderr, name).toMatch(
          /^error: cannot [^\n]*(is on a read-only file system|may not write in)[^\n]*\n$/,
        );
      }
      expect(readdirSync(view.dir).sort()).toEqual(before);
      expect(readdirSync(elsewhere)).toEqual(["backups"]);
      figures.readOnly = { kind: view.kind, lines };
    } finally {
      view.release();
    }
  }, 120_000);
});
