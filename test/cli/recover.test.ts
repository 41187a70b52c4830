import { closeSync, openSync, readFileSync, writeSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { openConnection } from "../../src/db/connection.js";
import { openStore } from "../../src/index.js";
import { fileHash, migratedDb } from "../reliability/support.js";
import { tempDir } from "../support.js";
import { cli, json } from "./run.js";

const images = (from: number, n: number) =>
  Array.from({ length: n }, (_, k) => ({
    type: "ImageGenerated" as const,
    data: { filename: `img-${from + k}.png`, prompt: `prompt ${from + k} ${"words ".repeat(30)}`, modelId: "m" },
  }));

const overwrite = (path: string, offset: number, bytes: Buffer) => {
  const fd = openSync(path, "r+");
  writeSync(fd, bytes, 0, bytes.length, offset);
  closeSync(fd);
};

/** 30 events, a backup made by the CLI, 20 more events. */
const damagedStore = () => {
  const dir = tempDir();
  const db = migratedDb(dir);
  const store = openStore({ url: db });
  store.append(images(1, 30));
  store.close();
  expect(cli(["backup", "--db", db]).code).toBe(0);
  const later = openStore({ url: db });
  later.append(images(31, 20));
  later.close();
  return { dir, db };
};

/** A leaf page of the log past the backup: the one holding position 40. */
const leafOf40 = (db: string): number => {
  const conn = openConnection(db, { readonly: true });
  try {
    const size = z.number().parse(conn.pragma("page_size", { simple: true }));
    const leaves = new Set(
      z
        .array(z.number())
        .parse(conn.prepare("SELECT pageno FROM dbstat WHERE name = 'events' AND pagetype = 'leaf'").pluck().all()),
    );
    const bytes = readFileSync(db);
    for (let at = bytes.indexOf("img-40.png"); at >= 0; at = bytes.indexOf("img-40.png", at + 1)) {
      const page = Math.floor(at / size) + 1;
      if (leaves.has(page)) return page;
    }
    throw new Error("position 40 not found in a leaf of events");
  } finally {
    conn.close();
  }
};

describe("artist-store recover", () => {
  it("recovers a file with a damaged header, prints what it salvaged, exits 0; verify is clean after", () => {
    const { db } = damagedStore();
    overwrite(db, 0, Buffer.alloc(100, 0));
    const r = cli(["recover", "--db", db]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^started from backup \S+backups\/store-\S+\.db \(head 30:[0-9a-f]{64}, verify ok\)$/m);
    expect(r.stdout).toMatch(/its header is damaged: read with the backup's page size, 4096/);
    expect(r.stdout).toMatch(/^salvaged 20 event\(s\): positions 31\.\.50$/m);
    expect(r.stdout).toMatch(/^new head 50:[0-9a-f]{64}; verify ok$/m);
    expect(r.stdout).toMatch(/^recovered \S+; the damaged file is kept byte for byte at \S+\.replaced-\S+\.db$/m);
    expect(cli(["verify", "--db", db]).code).toBe(0);
  });

  it("exits 1 and names the lost positions when a page of the log is unreadable; --json for scripts", () => {
    const { db } = damagedStore();
    const page = leafOf40(db);
    overwrite(db, (page - 1) * 4096, Buffer.alloc(4096, 0xa5));
    const r = cli(["recover", "--db", db, "--json"]);
    expect(r.code).toBe(1);
    const report = z
      .object({
        salvaged: z.array(z.object({ from: z.number(), to: z.number() })),
        lost: z.array(z.object({ from: z.number(), to: z.number(), reason: z.string() })),
        head: z.object({ position: z.number() }),
        replaced: z.boolean(),
      })
      .parse(json(r));
    const firstLost = report.lost[0]?.from ?? 0;
    expect(firstLost).toBeGreaterThan(31);
    expect(firstLost).toBeLessThanOrEqual(40);
    expect(report.salvaged).toEqual([{ from: 31, to: firstLost - 1 }]);
    expect(report.lost.map((l) => l.reason)).toEqual(["unreadable", "chain"]);
    expect(report.lost.at(-1)?.to).toBe(50);
    expect(report.head.position).toBe(firstLost - 1);
    expect(report.replaced).toBe(true);
    expect(cli(["verify", "--db", db]).code).toBe(0);
  });

  it("--dry-run reports and changes nothing", () => {
    const { db } = damagedStore();
    overwrite(db, 0, Buffer.alloc(100, 0));
    const before = fileHash(db);
    const r = cli(["recover", "--db", db, "--dry-run"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^dry run: nothing replaced/m);
    expect(fileHash(db)).toBe(before);
  });

  it("is a usage error (exit 2) for a --backup that does not exist; one error line when no backup verifies", () => {
    const { dir, db } = damagedStore();
    const missing = cli(["recover", "--db", db, "--backup", join(dir, "nope.db")]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/^error: cannot read \S+nope\.db: no such file\n$/);
    const none = cli(["recover", "--db", db, "--dir", dir]);
    expect(none.code).toBe(1);
    expect(none.stderr).toMatch(/^error: no backup of \S+ in \S+: recover starts from a backup that verifies/);
    expect(none.stderr.split("\n").filter(Boolean)).toHaveLength(1);
  });
});
