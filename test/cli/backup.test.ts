import { closeSync, copyFileSync, openSync, readdirSync, writeFileSync, writeSync } from "node:fs";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { describe, expect, it } from "vitest";
import { openConnection } from "../../src/db/connection.js";
import { integrityProblems } from "../../src/db/integrity.js";
import { pipelineDay } from "../../src/demo/pipelineDay.js";
import { openStore } from "../../src/index.js";
import { tempDir } from "../support.js";
import { cli, cliProcess, finished, json } from "./run.js";

/** A database with three demo days (a few MB: the backup API copies it in several steps). */
const demoDb = (days = ["2026-01-06", "2026-01-07", "2026-01-08"]) => {
  const dir = tempDir();
  const path = join(dir, "ai_artist.db");
  const store = openStore({ url: path, migrate: true });
  for (const day of days) store.append(pipelineDay({ day }));
  store.close();
  return { dir, path };
};
/** Events in a database (a read-write connection: closing it removes the -wal and -shm files). */
const head = (path: string) => {
  const db = openConnection(path);
  try {
    return Number(db.prepare("SELECT count(*) FROM events").pluck().get());
  } finally {
    db.close();
  }
};

describe("artist-store backup", () => {
  it("backs up into backups/ beside the database while a second process emits", async () => {
    const { dir, path } = demoDb();
    const before = head(path);
    const emitter = cliProcess(["emit", "--follow", "--db", path]);
    const emitted = finished(emitter);
    const acks = createInterface({ input: emitter.stdout })[Symbol.asyncIterator]();
    let sent = 0;
    const results: { ok: boolean }[] = [];
    const send = async () => {
      sent++;
      emitter.stdin.write(`${JSON.stringify({ type: "BatchStarted", data: { batchId: `concurrent-${sent}` } })}\n`);
      results.push(JSON.parse(String((await acks.next()).value)) as { ok: boolean });
    };
    await send(); // the emitter is up and writing
    let backupDone = false;
    const backup = finished(cliProcess(["backup", "--db", path, "--json"])).finally(() => (backupDone = true));
    const sentBefore = sent;
    while (!backupDone && sent < 100_000) await send();
    const duringBackup = sent - sentBefore;
    for (let i = 0; i < 3; i++) await send();
    emitter.stdin.end();
    const b = await backup;
    expect((await emitted).code).toBe(0);
    expect(results.every((r) => r.ok)).toBe(true);
    expect(duringBackup).toBeGreaterThan(0);
    expect(b.code).toBe(0);
    const report = json(b) as { file: string; pages: number; schemaVersion: string };
    expect(report.file.startsWith(join(dir, "backups", "ai_artist-"))).toBe(true);
    expect(head(path)).toBe(before + sent);

    const copy = openConnection(report.file);
    try {
      expect(integrityProblems(copy)).toEqual([]);
      const count = (sql: string) => Number(copy.prepare(sql).pluck().get());
      const events = count("SELECT count(*) FROM events");
      // A snapshot at one instant: the log is gapless, and the tables agree with it.
      expect(count("SELECT max(position) FROM events")).toBe(events);
      expect(events).toBeGreaterThan(before);
      expect(events).toBeLessThanOrEqual(before + sent);
      expect(count("SELECT count(*) FROM creation_sessions")).toBe(
        count("SELECT count(*) FROM events WHERE type = 'BatchStarted'"),
      );
      expect(count("SELECT count(*) FROM generated_images")).toBe(
        count("SELECT count(*) FROM events WHERE type = 'ImageGenerated'"),
      );
    } finally {
      copy.close();
    }
    expect(readdirSync(join(dir, "backups"))).toEqual([report.file.slice(join(dir, "backups").length + 1)]);
    const list = json(cli(["backup", "list", "--db", path, "--json"]));
    expect(list).toEqual([{ file: report.file, time: expect.any(String) }]);
  });

  it("prunes a folder of synthetic backups across a year to 7 daily, 4 weekly, 12 monthly", () => {
    const dir = tempDir();
    const names: string[] = [];
    for (let t = Date.parse("2025-01-01T02:00:00Z"); t <= Date.parse("2025-12-31T02:00:00Z"); t += 86_400_000) {
      const name = `ai_artist-${new Date(t).toISOString().replaceAll(":", "-")}.db`;
      writeFileSync(join(dir, name), "");
      names.push(name);
    }
    writeFileSync(join(dir, "notes.txt"), "not a backup");
    writeFileSync(join(dir, "other-2025-01-01T02-00-00.000Z.db"), "another database's backup");
    const db = join(tempDir(), "ai_artist.db");

    const dry = cli(["backup", "prune", "--db", db, "--dir", dir, "--dry-run", "--json"]);
    expect(dry.code).toBe(0);
    const plan = json(dry) as { kept: { file: string; reasons: string[] }[]; deleted: string[] };
    expect(plan.kept).toHaveLength(20);
    expect(plan.deleted).toHaveLength(345);
    expect(readdirSync(dir)).toHaveLength(367);
    const dryText = cli(["backup", "prune", "--db", db, "--dir", dir, "--dry-run"]).stdout;
    for (const file of plan.deleted) expect(dryText).toContain(`would delete ${file.slice(dir.length + 1)}\n`);
    expect(dryText.match(/^would delete ai_artist-/gm)).toHaveLength(345);
    expect(readdirSync(dir)).toHaveLength(367);

    const real = cli(["backup", "prune", "--db", db, "--dir", dir]);
    expect(real.code).toBe(0);
    expect(real.stdout).toContain("deleted 345 backup(s), kept 20");
    const left = readdirSync(dir).sort();
    expect(left).toEqual(
      [...plan.kept.map((k) => k.file.slice(dir.length + 1)), "notes.txt", "other-2025-01-01T02-00-00.000Z.db"].sort(),
    );
    expect(left).toContain(names.at(-1));
    expect(cli(["backup", "prune", "--db", db, "--dir", join(dir, "nope")]).code).toBe(2);
  });
});

describe("artist-store restore", () => {
  it("restores a backup, keeps the replaced database aside, and leaves no temporary file", () => {
    const { dir, path } = demoDb(["2026-01-08"]);
    const backup = json(cli(["backup", "--db", path, "--json"])) as { file: string };
    const atBackup = head(path);
    expect(
      cli(["emit", "--db", path], {
        input: JSON.stringify({ type: "BatchStarted", data: { batchId: "after-backup" } }),
      }).code,
    ).toBe(0);

    const r = cli(["restore", backup.file, "--db", path, "--json"]);
    expect(r.code).toBe(0);
    const result = json(r) as { path: string; replacedKeptAt: string; migrated: string[] };
    expect(result).toMatchObject({ path, file: path, from: backup.file, replacedKeptAs: "copy", migrated: [] });
    expect(head(path)).toBe(atBackup);
    expect(head(result.replacedKeptAt)).toBe(atBackup + 1);
    expect(readdirSync(dir).sort()).toEqual(
      ["ai_artist.db", result.replacedKeptAt.slice(dir.length + 1), "backups"].sort(),
    );
    expect(cli(["query", "daily", "--db", path, "--json"]).code).toBe(0);
  });

  it("refuses a file that is not SQLite, and a backup that fails integrity_check, leaving the live database as it was", () => {
    const { dir, path } = demoDb(["2026-01-08"]);
    const backup = json(cli(["backup", "--db", path, "--json"])) as { file: string };
    const live = head(path);

    const junk = join(tempDir(), "junk.db");
    writeFileSync(junk, Buffer.alloc(8192, 7));
    const notSqlite = cli(["restore", junk, "--db", path]);
    expect(notSqlite.code).toBe(1);
    expect(notSqlite.stderr).toBe(`error: backup ${junk} is not a SQLite database (or is corrupt)\n`);

    // Overwrite one index's root page: the file opens, but integrity_check finds the damage.
    const corrupt = join(tempDir(), "corrupt.db");
    copyFileSync(backup.file, corrupt);
    const probe = openConnection(corrupt, { readonly: true });
    const rootpage = Number(
      probe.prepare("SELECT rootpage FROM sqlite_master WHERE name = 'idx_model_id'").pluck().get(),
    );
    const pageSize = Number(probe.pragma("page_size", { simple: true }));
    probe.close();
    const fd = openSync(corrupt, "r+");
    writeSync(fd, Buffer.alloc(pageSize, 0xff), 0, pageSize, (rootpage - 1) * pageSize);
    closeSync(fd);
    const damaged = cli(["restore", corrupt, "--db", path]);
    expect(damaged.code).toBe(1);
    expect(damaged.stderr).toMatch(/^error: backup .*corrupt\.db fails integrity_check: .+\n$/);

    expect(head(path)).toBe(live);
    expect(readdirSync(dir).sort()).toEqual(["ai_artist.db", "backups"]);
  });

  it("refuses a backup newer than the code; restores beside another process that holds the database open", () => {
    const { dir, path } = demoDb(["2026-01-08"]);
    const backup = json(cli(["backup", "--db", path, "--json"])) as { file: string };
    const newer = join(tempDir(), "newer.db");
    copyFileSync(backup.file, newer);
    const db = openConnection(newer);
    db.prepare("INSERT INTO schema_migrations (version) VALUES ('29991231000000')").run();
    db.close();
    const r = cli(["restore", newer, "--db", path]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^error: backup .*newer\.db has migrations this code does not know \(29991231000000\)/);
    expect(readdirSync(dir).sort()).toEqual(["ai_artist.db", "backups"]);

    const holder = openStore({ url: path });
    try {
      holder.emit.batchStarted({ batchId: "before-the-restore" });
      const restored = cli(["restore", backup.file, "--db", path]);
      expect(restored.code, restored.stderr).toBe(0);
      expect(restored.stdout).toMatch(
        /^restored .*ai_artist\.db from .* \(integrity_check ok, write lock held \d+ ms\)\nthe replaced database is kept at /,
      );
      expect(
        holder.db.prepare("SELECT count(*) FROM creation_sessions WHERE batch_id = 'before-the-restore'").pluck().get(),
      ).toBe(0);
    } finally {
      holder.close();
    }
  });
});
