import { closeSync, existsSync, openSync, writeSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it, onTestFinished } from "vitest";
import { openConnection } from "../../src/db/connection.js";
import { openStore, type Store } from "../../src/index.js";
import { backupDatabase } from "../../src/maintenance/backup.js";
import { diagnose } from "../../src/maintenance/doctor.js";
import { restoreDatabase } from "../../src/maintenance/restore.js";
import { cli } from "../cli/run.js";
import { migratedDb } from "../reliability/support.js";
import { refusal, tempDir } from "../support.js";

/** A store of 50 images, a backup of it, and the store's file damaged in the root page of idx_model_id. */
const damagedInAnIndex = async () => {
  const dir = tempDir();
  const path = migratedDb(dir);
  const store = openStore({ url: path });
  store.append(
    Array.from({ length: 50 }, (_, i) => ({
      type: "ImageGenerated" as const,
      data: { filename: `${i}.png`, prompt: "p", modelId: `model-${i % 3}` },
    })),
  );
  store.close();
  const backup = await backupDatabase(path, { dir: join(dir, "backups") });
  const db = openConnection(path, { readonly: true });
  const page = Number(db.prepare("SELECT rootpage FROM sqlite_master WHERE name = 'idx_model_id'").pluck().get());
  const pageSize = Number(db.pragma("page_size", { simple: true }));
  db.close();
  const fd = openSync(path, "r+");
  writeSync(fd, Buffer.alloc(pageSize, 0xff), 0, pageSize, (page - 1) * pageSize);
  closeSync(fd);
  return { path, backup: backup.file };
};

const opened = (path: string): Store => {
  const store = openStore({ url: path, onWarning: () => {} });
  onTestFinished(() => store.close());
  return store;
};

const DAMAGED =
  /^database \S+ is damaged \((an append|doctor) at .+\): appends are refused; recover it from the newest backup and what the file still holds \(`npx artist-store recover --db \S+`\), or restore a backup \(`npx artist-store restore <backup> --db \S+`\)$/;

describe("a database damaged in an index page", () => {
  it("refuses the append that meets the damage, then every append, in every process, until a restore", async () => {
    const { path, backup } = await damagedInAnIndex();
    const store = opened(path);
    const head = store.headPosition();
    // This append's index update reads the damaged page.
    const first = refusal(() => store.emit.imageGenerated({ filename: "new.png", prompt: "p", modelId: "m" }));
    expect(first.code).toBe("CORRUPT_DATABASE");
    expect(first.message).toMatch(DAMAGED);
    expect(first.message).toContain("SQLITE_CORRUPT");
    // This one would not touch the damaged index, and is refused all the same, here and in another store.
    expect(refusal(() => store.emit.batchStarted({ batchId: "b1" })).code).toBe("CORRUPT_DATABASE");
    expect(refusal(() => opened(path).emit.batchStarted({ batchId: "b2" })).message).toMatch(DAMAGED);
    expect(store.headPosition()).toBe(head);

    const report = diagnose(path);
    expect(report.damaged).toMatchObject({ by: "an append" });
    expect(report.problems).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^integrity_check: /),
        expect.stringMatching(
          /^the database is marked damaged \(an append at .*\): appends are refused until it is restored/,
        ),
      ]),
    );

    await restoreDatabase(backup, path);
    expect(existsSync(`${path}-damaged`)).toBe(false);
    expect(store.emit.batchStarted({ batchId: "after-the-restore" }).position).toBe(51);
  });

  it("is marked by doctor's integrity_check before any append meets it, and appends are refused from then on", async () => {
    const { path } = await damagedInAnIndex();
    const report = diagnose(path, { quick: true });
    expect(report.damaged).toMatchObject({ by: "doctor", reason: expect.stringMatching(/^quick_check: /) });
    const refused = refusal(() => opened(path).emit.batchStarted({ batchId: "b1" }));
    expect(refused.code).toBe("CORRUPT_DATABASE");
    expect(refused.message).toMatch(DAMAGED);
    // emit stops at the first line with the one reason, instead of rejecting each line in turn.
    const lines = ["b2", "b3", "b4"].map((batchId) => JSON.stringify({ type: "BatchStarted", data: { batchId } }));
    const emit = cli(["emit", "--db", path], { input: `${lines.join("\n")}\n` });
    expect(emit.code).toBe(1);
    expect(emit.stderr).toMatch(
      /^error: database \S+ is damaged \(doctor at .+\): appends are refused; .*\(stopped at line 1: the 0 event\(s\) of the lines before it are appended, nothing from it on\)\n$/,
    );
  });
});
