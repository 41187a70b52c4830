import { closeSync, copyFileSync, existsSync, openSync, readdirSync, readFileSync, writeSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { openConnection } from "../../src/db/connection.js";
import { readDamageMark } from "../../src/db/damage.js";
import { openStore, StoreError } from "../../src/index.js";
import { backupDatabase } from "../../src/maintenance/backup.js";
import { recoverDatabase } from "../../src/maintenance/recover.js";
import { verifyDatabase } from "../../src/maintenance/verify.js";
import { auditProjections } from "../../src/operations.js";
import { fileHash, migratedDb } from "../reliability/support.js";
import { insertChained, tempDir } from "../support.js";

/** A prompt with a marker that names its event, long enough that the log spans many pages. */
const marker = (i: number) => `marker-${String(i).padStart(6, "0")}`;
const events = (from: number, n: number) =>
  Array.from({ length: n }, (_, k) => {
    const i = from + k;
    return {
      type: "ImageGenerated" as const,
      data: {
        filename: `img-${i}.png`,
        prompt: `${marker(i)} ${"a prompt that fills pages ".repeat(4)}`,
        modelId: `m-${i % 3}`,
      },
    };
  });

/** A database of `before` events, a backup of it, then `after` more events (event i at position i). */
const storeWithBackup = async (before = 100, after = 300) => {
  const dir = tempDir();
  const path = migratedDb(dir);
  const first = openStore({ url: path });
  first.append(events(1, before));
  first.close();
  const backup = await backupDatabase(path, { dir: join(dir, "backups"), now: new Date("2026-01-08T02:00:00Z") });
  const later = openStore({ url: path });
  later.append(events(before + 1, after));
  later.close();
  return { dir, path, backup: backup.file, head: before, last: before + after };
};

const pageSizeOf = (path: string) => {
  const db = openConnection(path, { readonly: true });
  try {
    return z.number().parse(db.pragma("page_size", { simple: true }));
  } finally {
    db.close();
  }
};

/** The pages of a b-tree (a table or an index), from dbstat. */
const pagesOf = (path: string, name: string, type?: "leaf" | "internal"): number[] => {
  const db = openConnection(path, { readonly: true });
  try {
    return z.array(z.number()).parse(
      db
        .prepare(`SELECT pageno FROM dbstat WHERE name = ? AND (? IS NULL OR pagetype = ?) ORDER BY pageno`)
        .pluck()
        .all(name, type ?? null, type ?? null),
    );
  } finally {
    db.close();
  }
};

/** Which leaf page of `events` holds each position (by the file offset of its marker), for positions from..to. */
const eventPages = (path: string, from: number, to: number): Map<number, number> => {
  const bytes = readFileSync(path);
  const size = pageSizeOf(path);
  const leaves = new Set(pagesOf(path, "events", "leaf"));
  const pages = new Map<number, number>();
  for (let i = from; i <= to; i++) {
    for (let at = bytes.indexOf(marker(i)); at >= 0; at = bytes.indexOf(marker(i), at + 1)) {
      const page = Math.floor(at / size) + 1;
      if (leaves.has(page)) pages.set(i, page);
    }
  }
  return pages;
};

const overwrite = (path: string, offset: number, bytes: Buffer) => {
  const fd = openSync(path, "r+");
  try {
    writeSync(fd, bytes, 0, bytes.length, offset);
  } finally {
    closeSync(fd);
  }
};
const damagePage = (path: string, page: number) => {
  const size = pageSizeOf(path);
  overwrite(path, (page - 1) * size, Buffer.alloc(size, 0xa5));
};

/** After a recovery: the log holds 1..head gapless and verifies, the projections equal a replay, no mark. */
const expectRecovered = (path: string, head: number) => {
  const verified = verifyDatabase(path);
  expect(verified.findings).toEqual([]);
  expect(verified.head?.position).toBe(head);
  const store = openStore({ url: path });
  try {
    expect(store.headPosition()).toBe(head);
    expect(auditProjections(store).ok).toBe(true);
  } finally {
    store.close();
  }
  expect(readDamageMark(path)).toBeUndefined();
};

describe("recoverDatabase", () => {
  it("salvages the events before a damaged page of the log, reports that page's events and the ones after it lost", async () => {
    const { path, head, last } = await storeWithBackup();
    const pages = eventPages(path, head + 1, last);
    // A leaf page in the middle of what the backup does not have.
    const target = pages.get(head + 150) ?? 0;
    const onPage = [...pages].filter(([, p]) => p === target).map(([i]) => i);
    const firstLost = Math.min(...onPage);
    const lastLost = Math.max(...onPage);
    expect(firstLost).toBeGreaterThan(head + 1);
    damagePage(path, target);
    const damaged = fileHash(path);

    const report = await recoverDatabase(path);

    expect(report.backup.head?.position).toBe(head);
    expect(report.salvaged).toEqual([{ from: head + 1, to: firstLost - 1 }]);
    expect(report.lost).toEqual([
      expect.objectContaining({ from: firstLost, to: lastLost, reason: "unreadable" }),
      expect.objectContaining({ from: lastLost + 1, to: last, reason: "chain" }),
    ]);
    expect(report.complete).toBe(false);
    expect(report.head?.position).toBe(firstLost - 1);
    expect(report.verify.ok).toBe(true);
    expect(report.replaced).toBe(true);
    // The damaged file is kept byte for byte: nothing wrote to it before the restore kept it.
    expect(fileHash(report.damagedKeptAt ?? "")).toBe(damaged);
    expectRecovered(path, firstLost - 1);
  });

  it("salvages every event when the damage is in the log's indexes", async () => {
    const { path, head, last } = await storeWithBackup();
    for (const index of ["sqlite_autoindex_events_1", "sqlite_autoindex_events_2"])
      for (const page of pagesOf(path, index)) damagePage(path, page);
    const damaged = fileHash(path);

    const phases = new Set<string>();
    const report = await recoverDatabase(path, { onProgress: (p) => phases.add(p.phase) });

    expect(report.salvaged).toEqual([{ from: head + 1, to: last }]);
    expect(report.lost).toEqual([]);
    expect(report.complete).toBe(true);
    expect([...phases]).toEqual(["scan", "rebuild"]);
    expect(fileHash(report.damagedKeptAt ?? "")).toBe(damaged);
    expectRecovered(path, last);
  });

  it("leaves a store that was open on the damaged file appending after the recovered head", async () => {
    const { path, last } = await storeWithBackup(50, 20);
    for (const page of pagesOf(path, "sqlite_autoindex_events_2")) damagePage(path, page);
    const store = openStore({ url: path, onWarning: () => {} });
    try {
      await recoverDatabase(path);
      const [appended] = store.append(events(1000, 1));
      expect(appended?.position).toBe(last + 1);
    } finally {
      store.close();
    }
    expectRecovered(path, last + 1);
  });

  it("salvages every event when the file's header is damaged", async () => {
    const { path, head, last } = await storeWithBackup();
    overwrite(path, 0, Buffer.alloc(100, 0));
    const damaged = fileHash(path);

    const report = await recoverDatabase(path);

    expect(report.damaged.headerReadable).toBe(false);
    expect(report.salvaged).toEqual([{ from: head + 1, to: last }]);
    expect(report.lost).toEqual([]);
    expect(fileHash(report.damagedKeptAt ?? "")).toBe(damaged);
    expectRecovered(path, last);
  });

  it("salvages events whose payload spans overflow pages", async () => {
    const { path, head, last } = await storeWithBackup(10, 0);
    const store = openStore({ url: path });
    store.append(
      [20_000, 60_000, 5_000].map((size, k) => ({
        type: "ImageGenerated" as const,
        data: { filename: `big-${k}.png`, prompt: `${marker(900 + k)} ${"x".repeat(size)}`, modelId: "m" },
      })),
    );
    store.close();
    overwrite(path, 0, Buffer.alloc(100, 0));

    const report = await recoverDatabase(path);

    expect(report.salvaged).toEqual([{ from: head + 1, to: last + 3 }]);
    expect(report.lost).toEqual([]);
    expectRecovered(path, last + 3);
  });

  it("salvages events that are only in the -wal the damaged file left", async () => {
    const { dir, path, head, last } = await storeWithBackup(50, 0);
    // A connection holding the database open keeps the WAL from being checkpointed into the file.
    const holder = openConnection(path);
    const store = openStore({ url: path });
    store.append(events(head + 1, 40));
    store.close();
    const crashed = join(dir, "crashed.db");
    copyFileSync(path, crashed);
    copyFileSync(`${path}-wal`, `${crashed}-wal`);
    holder.close();
    copyFileSync(join(dir, "backups", readdirSync(join(dir, "backups"))[0] ?? ""), join(dir, "crashed-backup.db"));
    overwrite(crashed, 0, Buffer.alloc(100, 0));
    const wal = fileHash(`${crashed}-wal`);

    const report = await recoverDatabase(crashed, { backup: join(dir, "crashed-backup.db") });

    expect(report.damaged.walFrames).toBeGreaterThan(0);
    expect(report.salvaged).toEqual([{ from: head + 1, to: last + 40 }]);
    expect(report.lost).toEqual([]);
    expect(fileHash(`${report.damagedKeptAt}-wal`)).toBe(wal);
    expectRecovered(crashed, last + 40);
  });

  it("on a dry run reports the same and changes nothing", async () => {
    const { path, dir, head, last } = await storeWithBackup();
    overwrite(path, 0, Buffer.alloc(100, 0));
    const damaged = fileHash(path);
    const before = readdirSync(dir).sort();

    const report = await recoverDatabase(path, { dryRun: true });

    expect(report.salvaged).toEqual([{ from: head + 1, to: last }]);
    expect(report.verify.ok).toBe(true);
    expect(report.replaced).toBe(false);
    expect(report.damagedKeptAt).toBeNull();
    expect(fileHash(path)).toBe(damaged);
    expect(readdirSync(dir).sort()).toEqual(before);
  });

  it("refuses with one clear error and changes nothing when no backup verifies", async () => {
    const { path, dir, backup } = await storeWithBackup(20, 5);
    // A digit changed inside a stored event of the backup: its chain no longer verifies.
    const bytes = readFileSync(backup);
    for (let at = bytes.indexOf(marker(7)); at >= 0; at = bytes.indexOf(marker(7), at + 1))
      overwrite(backup, at, Buffer.from(marker(8)));
    overwrite(path, 0, Buffer.alloc(100, 0));
    const damaged = fileHash(path);
    const before = readdirSync(dir).sort();

    const refusal = await recoverDatabase(path).catch((e: unknown) => e);

    expect(refusal).toBeInstanceOf(StoreError);
    expect(refusal).toMatchObject({ code: "NO_BACKUP" });
    expect(refusal instanceof StoreError ? refusal.message : "").toMatch(
      /^no backup of \S+ verifies \(store-2026-01-08T02-00-00\.000Z\.db: verify: position 7 \[chain\]: .*\); nothing was changed$/,
    );
    expect(fileHash(path)).toBe(damaged);
    expect(readdirSync(dir).sort()).toEqual(before);
    expect(readDamageMark(path)).toBeUndefined();
  });

  it("refuses when there is no backup at all", async () => {
    const dir = tempDir();
    const path = migratedDb(dir);
    await expect(recoverDatabase(path)).rejects.toMatchObject({
      code: "NO_BACKUP",
      message: expect.stringMatching(/^no backup of \S+ in \S+backups: recover starts from a backup/),
    });
    expect(existsSync(join(dir, "backups"))).toBe(false);
  });

  it("gives the backup alone when the backup is newer than what can be salvaged", async () => {
    const { path, dir, last } = await storeWithBackup(100, 300);
    const newer = await backupDatabase(path, { dir: join(dir, "backups"), now: new Date("2026-01-09T02:00:00Z") });
    const pages = eventPages(path, 1, last);
    damagePage(path, pages.get(200) ?? 0);

    const report = await recoverDatabase(path);

    expect(report.backup.file).toBe(newer.file);
    expect(report.backup.head?.position).toBe(last);
    expect(report.salvaged).toEqual([]);
    expect(report.lost).toEqual([]);
    expect(report.differing).toEqual([]);
    expect(report.complete).toBe(true);
    expectRecovered(path, last);
  });

  it("passes over a newer backup that does not verify and names it", async () => {
    const { path, dir, head, last } = await storeWithBackup(50, 30);
    const newer = await backupDatabase(path, { dir: join(dir, "backups"), now: new Date("2026-01-09T02:00:00Z") });
    overwrite(newer.file, 0, Buffer.alloc(100, 0));
    overwrite(path, 0, Buffer.alloc(100, 0));

    const report = await recoverDatabase(path);

    expect(report.backup.head?.position).toBe(head);
    expect(report.skippedBackups).toEqual([
      { file: newer.file, reason: expect.stringMatching(/not a SQLite database/) },
    ]);
    expect(report.salvaged).toEqual([{ from: head + 1, to: last }]);
    expectRecovered(path, last);
  });
  it("stops at an event whose content no longer matches its hash, and reports it and the rest lost (chain)", async () => {
    const { path, head, last } = await storeWithBackup(20, 20);
    // A digit changed inside the stored event at position 35, in the log's page only.
    const page = eventPages(path, 35, 35).get(35) ?? 0;
    const size = pageSizeOf(path);
    const bytes = readFileSync(path).subarray((page - 1) * size, page * size);
    overwrite(path, (page - 1) * size + bytes.indexOf(marker(35)), Buffer.from(marker(99)));

    const report = await recoverDatabase(path);

    expect(report.salvaged).toEqual([{ from: head + 1, to: 34 }]);
    expect(report.lost).toEqual([
      {
        from: 35,
        to: last,
        reason: "chain",
        message: expect.stringMatching(
          /^the event at position 35 does not match its stored hash .*, and positions 36\.\.40 after it cannot be linked$/,
        ),
      },
    ]);
    expectRecovered(path, 34);
  });

  it("stops at an event that links but is not valid, and reports it and the rest lost (schema)", async () => {
    const { path, head } = await storeWithBackup(20, 10);
    const db = openConnection(path);
    const t = "2026-01-08T12:00:00.000Z";
    insertChained(
      db,
      `INSERT INTO events (event_id, stream_id, stream_version, type, schema_version, data, metadata, occurred_at, recorded_at)
       VALUES ('forged', 'image:img-1.png', 2, 'ImageCurated', 2, '{"filename":"img-2.png","status":"rejected"}', '{}', '${t}', '${t}')`,
    );
    db.close();
    const store = openStore({ url: path });
    store.append(events(100, 5));
    store.close();
    overwrite(path, 0, Buffer.alloc(100, 0));

    const report = await recoverDatabase(path);

    expect(report.salvaged).toEqual([{ from: head + 1, to: 30 }]);
    expect(report.lost).toEqual([
      {
        from: 31,
        to: 36,
        reason: "schema",
        message: expect.stringMatching(
          /^the event at position 31 is not valid: stream id "image:img-1.png" does not match/,
        ),
      },
    ]);
    expectRecovered(path, 30);
  });

  it("links nothing onto a backup of another database, and names the positions where the two differ", async () => {
    const other = await storeWithBackup(20, 0);
    const { path, head, last } = await storeWithBackup(20, 10);

    const report = await recoverDatabase(path, { backup: other.backup, dryRun: true });

    expect(report.differing).toEqual([{ from: 1, to: head }]);
    expect(report.salvaged).toEqual([]);
    expect(report.lost).toEqual([expect.objectContaining({ from: head + 1, to: last, reason: "chain" })]);
    expect(report.complete).toBe(false);
  });
});
