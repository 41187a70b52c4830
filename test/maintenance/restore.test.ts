import {
  closeSync,
  existsSync,
  lstatSync,
  mkdirSync,
  openSync,
  readdirSync,
  readlinkSync,
  statSync,
  symlinkSync,
  writeFileSync,
  writeSync,
} from "node:fs";
import { join } from "node:path";
import { describe, expect, it, onTestFinished } from "vitest";
import { openConnection } from "../../src/db/connection.js";
import { migrationStatus, runDbmate } from "../../src/db/migrations.js";
import { openStore, type Store, StoreError } from "../../src/index.js";
import { backupDatabase } from "../../src/maintenance/backup.js";
import { restoreDatabase } from "../../src/maintenance/restore.js";
import { fileHash, logRowsById, migratedDb, sha256, stateHash } from "../reliability/support.js";
import { tempDir } from "../support.js";

const images = (prefix: string, n: number) =>
  Array.from({ length: n }, (_, i) => ({
    type: "ImageGenerated" as const,
    data: { filename: `${prefix}-${i}.png`, prompt: `${prefix} ${i}`, modelId: "sdxl-1.0" },
  }));

/** A live database with `before` images, a backup of it, then `after` more images in the live one. */
const liveAndBackup = async (before = 30, after = 5) => {
  const dir = tempDir();
  const live = migratedDb(dir);
  const store = openStore({ url: live });
  store.append(images("before", before));
  store.close();
  const backup = await backupDatabase(live, { dir: join(dir, "backups") });
  const later = openStore({ url: live });
  later.append(images("after", after));
  later.close();
  return { dir, live, backup: backup.file };
};

const count = (file: string, sql = "SELECT count(*) FROM events") => {
  const db = openConnection(file, { readonly: true });
  try {
    return Number(db.prepare(sql).pluck().get());
  } finally {
    db.close();
  }
};

const integrity = (file: string) => {
  const db = openConnection(file, { readonly: true });
  try {
    return db.pragma("integrity_check", { simple: true });
  } finally {
    db.close();
  }
};

/** Overwrite one page of a (checkpointed) database file with 0xff bytes. */
const damagePage = (file: string, pageOf: string) => {
  const db = openConnection(file, { readonly: true });
  const page = Number(db.prepare(pageOf).pluck().get());
  const pageSize = Number(db.pragma("page_size", { simple: true }));
  db.close();
  const fd = openSync(file, "r+");
  writeSync(fd, Buffer.alloc(pageSize, 0xff), 0, pageSize, (page - 1) * pageSize);
  closeSync(fd);
};

const refusal = async (run: Promise<unknown>): Promise<StoreError> => {
  const e = await run.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  if (!(e instanceof StoreError)) throw new Error(`expected a StoreError, got ${String(e)}`);
  return e;
};

describe("restoreDatabase beside open connections", () => {
  it("restores while a store is open: it reads the backup next, appends after the backup's head, and its earlier appends are in the kept copy", async () => {
    const { live, backup } = await liveAndBackup(30, 5);
    const holder: Store = openStore({ url: live });
    onTestFinished(() => holder.close());
    const before = holder.emit.batchStarted({ batchId: "acknowledged-before-the-restore" });
    const sessions = holder.db.prepare("SELECT count(*) FROM creation_sessions").pluck();
    expect(sessions.get()).toBe(1);

    const result = await restoreDatabase(backup, live);
    expect(result).toMatchObject({ path: live, file: live, replacedKeptAs: "copy", migrated: [] });
    expect(result.lockMs).toBeGreaterThan(0);
    // The open connection re-reads the schema and sees the restored content, nothing between.
    expect(holder.headPosition()).toBe(30);
    expect(sessions.get()).toBe(0);
    expect(holder.emit.batchStarted({ batchId: "after-the-restore" }).position).toBe(31);
    // What it acknowledged before is in the copy kept aside, at its position.
    const kept = openConnection(result.replacedKeptAt ?? "", { readonly: true });
    expect(logRowsById(kept).get(before.eventId)).toEqual([36, "batch:acknowledged-before-the-restore", 1]);
    expect(kept.prepare("SELECT count(*) FROM events").pluck().get()).toBe(36);
    kept.close();
    expect(integrity(live)).toBe("ok");
    expect(statSync(result.replacedKeptAt ?? "").mode & 0o777).toBe(0o600);
  });

  it("waits for a writer holding the lock, and gives up with STORE_BUSY, changing nothing, when it never lets go", async () => {
    const { dir, live, backup } = await liveAndBackup(10, 2);
    const holder = openConnection(live);
    holder.exec("BEGIN IMMEDIATE");
    const busy = await refusal(restoreDatabase(backup, live, { lockWaitMs: 300 }));
    expect(busy.code).toBe("STORE_BUSY");
    expect(busy.message).toMatch(/other connections held its write lock at every try for 0 s; nothing was changed$/);
    expect(readdirSync(dir).filter((n) => n.includes("replaced") || n.includes("restoring"))).toEqual([]);

    setTimeout(() => holder.exec("COMMIT"), 200);
    const result = await restoreDatabase(backup, live);
    holder.close();
    expect(count(live)).toBe(10);
    expect(count(result.replacedKeptAt ?? "")).toBe(12);
  });
});

describe("restoreDatabase onto a symlink", () => {
  it("restores the file the link points to and leaves the link; the kept copy is a file of its own", async () => {
    const { dir, live, backup } = await liveAndBackup(20, 3);
    const link = join(tempDir(), "current.db");
    symlinkSync(live, link);
    const result = await restoreDatabase(backup, link);
    expect(result).toMatchObject({ path: link, file: live });
    expect(lstatSync(link).isSymbolicLink()).toBe(true);
    expect(readlinkSync(link)).toBe(live);
    expect(count(link)).toBe(20);
    const kept = result.replacedKeptAt ?? "";
    expect(kept.startsWith(`${dir}/`)).toBe(true);
    expect(lstatSync(kept).isFile()).toBe(true);
    expect(count(kept)).toBe(23);
  });
});

describe("restoreDatabase and schema versions", () => {
  it("migrates the copy of a backup that predates a migration before it goes in", async () => {
    const { live, backup } = await liveAndBackup(12, 1);
    runDbmate(backup, ["rollback"]);
    const old = openConnection(backup, { readonly: true });
    const pending = migrationStatus(old).pending;
    old.close();
    expect(pending).toHaveLength(1);
    const result = await restoreDatabase(backup, live);
    expect(result.migrated).toEqual(pending);
    const db = openConnection(live, { readonly: true });
    expect(migrationStatus(db).pending).toEqual([]);
    db.close();
    expect(count(live)).toBe(12);
    openStore({ url: live }).close();
  });

  it("refuses a live database whose migrations are pending or unknown to this code, changing nothing", async () => {
    const { dir, live, backup } = await liveAndBackup(8, 1);
    const ahead = openConnection(live);
    ahead.prepare("INSERT INTO schema_migrations (version) VALUES ('29991231000000')").run();
    ahead.close();
    const before = stateHash(live);
    const unknown = await refusal(restoreDatabase(backup, live));
    expect(unknown.code).toBe("UNKNOWN_MIGRATIONS");
    expect(unknown.message).toMatch(/has migrations this code does not know \(29991231000000\).*nothing was changed$/);

    const behind = openConnection(live);
    behind.prepare("DELETE FROM schema_migrations WHERE version = '29991231000000'").run();
    behind.close();
    runDbmate(live, ["rollback"]);
    const behindHash = stateHash(live);
    const pending = await refusal(restoreDatabase(backup, live));
    expect(pending.code).toBe("PENDING_MIGRATIONS");
    expect(pending.message).toMatch(/pending migration\(s\).*run `npx artist-store migrate --db .*` first/);
    expect(stateHash(live)).toBe(behindHash);
    expect(before).not.toBe(behindHash);
    expect(readdirSync(dir).filter((n) => n.includes("replaced") || n.includes("restoring"))).toEqual([]);
  });

  it("restores a backup of another page size into the live file's", async () => {
    const { live, backup } = await liveAndBackup(15, 2);
    const db = openConnection(backup);
    db.pragma("journal_mode = DELETE");
    db.pragma("page_size = 8192");
    db.exec("VACUUM");
    db.pragma("journal_mode = WAL");
    db.close();
    await restoreDatabase(backup, live);
    expect(count(live)).toBe(15);
    expect(count(live, "PRAGMA page_size")).toBe(4096);
    expect(integrity(live)).toBe("ok");
  });
});

describe("restoreDatabase over a damaged or absent live database", () => {
  it.each([
    ["an index", "SELECT rootpage FROM sqlite_master WHERE name = 'idx_model_id'"],
    ["the log's table", "SELECT pageno FROM dbstat WHERE name = 'events' AND pagetype = 'leaf' LIMIT 1 OFFSET 1"],
  ])(
    "keeps a database damaged in %s byte for byte (VACUUM INTO cannot copy it), and replaces it in place",
    async (_, page) => {
      const { live, backup } = await liveAndBackup(200, 10);
      damagePage(live, page);
      expect(integrity(live)).not.toBe("ok");
      const damaged = fileHash(live);
      const inode = statSync(live).ino;
      const result = await restoreDatabase(backup, live);
      expect(result.replacedKeptAs).toBe("bytes");
      expect(fileHash(result.replacedKeptAt ?? "")).toBe(damaged);
      expect(statSync(live).ino).toBe(inode);
      expect(integrity(live)).toBe("ok");
      expect(count(live)).toBe(200);
    },
  );

  it("keeps a database whose header is destroyed byte for byte, and replaces it in place", async () => {
    const { live, backup } = await liveAndBackup(20, 2);
    const fd = openSync(live, "r+");
    writeSync(fd, Buffer.alloc(100, 0x41), 0, 100, 0);
    closeSync(fd);
    writeFileSync(`${live}-wal`, "not this database's WAL");
    const damaged = fileHash(live);
    const inode = statSync(live).ino;
    const result = await restoreDatabase(backup, live);
    expect(result.replacedKeptAs).toBe("bytes");
    expect(fileHash(result.replacedKeptAt ?? "")).toBe(damaged);
    expect(fileHash(`${result.replacedKeptAt}-wal`)).toBe(sha256("not this database's WAL"));
    expect(statSync(live).ino).toBe(inode);
    expect(integrity(live)).toBe("ok");
    expect(count(live)).toBe(20);
    openStore({ url: live }).close();
  });

  it("restores into a database that does not exist yet, owner-only, and refuses a WAL left without its database", async () => {
    const { backup } = await liveAndBackup(6, 0);
    const dir = join(tempDir(), "new");
    const fresh = join(dir, "fresh.db");
    const result = await restoreDatabase(backup, fresh);
    expect(result).toMatchObject({ file: fresh, replacedKeptAt: null, replacedKeptAs: null });
    expect(count(fresh)).toBe(6);
    expect(statSync(fresh).mode & 0o777).toBe(0o600);
    expect(statSync(dir).mode & 0o777).toBe(0o700);

    const orphan = join(tempDir(), "orphan.db");
    writeFileSync(`${orphan}-wal`, "a WAL of some other file");
    const refused = await refusal(restoreDatabase(backup, orphan));
    expect(refused.message).toBe(
      `${orphan}-wal exists without its database ${orphan}: it would be replayed into the restored file; move it away, then restore`,
    );
    expect(existsSync(orphan)).toBe(false);
  });

  it("refuses a dangling symlink", async () => {
    const { backup } = await liveAndBackup(2, 0);
    const dir = tempDir();
    mkdirSync(join(dir, "gone"));
    const link = join(dir, "link.db");
    symlinkSync(join(dir, "gone", "x.db"), link);
    const refused = await refusal(restoreDatabase(backup, link));
    expect(refused.message).toBe(`${link} is a symbolic link to a file that does not exist`);
  });
});
