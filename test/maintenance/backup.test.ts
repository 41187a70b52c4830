import { readdirSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it, onTestFinished } from "vitest";
import { openConnection } from "../../src/db/connection.js";
import { integrityProblems } from "../../src/db/integrity.js";
import { pipelineDay } from "../../src/demo/pipelineDay.js";
import { openStore } from "../../src/index.js";
import { backupDatabase, backupName, backupTime, listBackups } from "../../src/maintenance/backup.js";
import { createTestStore } from "../../src/testing/index.js";
import { tempDir } from "../support.js";

describe("backupDatabase", () => {
  it("names backups by database and UTC time, and lists them newest first", () => {
    const name = backupName("/x/ai_artist.db", new Date("2026-01-08T02:00:00.123Z"));
    expect(name).toBe("ai_artist-2026-01-08T02-00-00.123Z.db");
    expect(backupTime("/x/ai_artist.db", name)).toEqual(new Date("2026-01-08T02:00:00.123Z"));
    expect(backupTime("/x/other.db", name)).toBeUndefined();
    expect(backupTime("/x/ai_artist.db", `.${name}.partial`)).toBeUndefined();
  });

  it("takes a consistent copy that includes a write another connection commits mid-backup", async () => {
    const store = createTestStore();
    onTestFinished(store.close);
    for (const day of ["2026-01-06", "2026-01-07", "2026-01-08"]) store.append(pipelineDay({ day }));
    const writer = openStore({ url: store.path });
    const dir = tempDir();
    let calls = 0;
    let remainingWhenWritten = 0;
    const result = await backupDatabase(store.path, {
      dir,
      now: new Date("2026-01-09T02:00:00Z"),
      onProgress: (p) => {
        if (++calls === 2) {
          remainingWhenWritten = p.remainingPages;
          writer.emit.batchStarted({ batchId: "during-backup" });
        }
      },
    });
    writer.close();
    expect(remainingWhenWritten).toBeGreaterThan(0);
    expect(result.file).toBe(join(dir, `store-2026-01-09T02-00-00.000Z.db`));
    expect(result.pages).toBeGreaterThan(256);
    expect(readdirSync(dir)).toEqual([`store-2026-01-09T02-00-00.000Z.db`]);
    expect(listBackups(store.path, dir).map((b) => b.file)).toEqual([result.file]);

    const copy = openConnection(result.file, { readonly: true });
    try {
      expect(integrityProblems(copy)).toEqual([]);
      const count = (sql: string) => copy.prepare(sql).pluck().get();
      expect(count("SELECT count(*) FROM events")).toBe(store.headPosition());
      expect(count("SELECT count(*) FROM creation_sessions WHERE batch_id = 'during-backup'")).toBe(1);
      expect(count("SELECT count(*) FROM generated_images")).toBe(
        count("SELECT count(*) FROM events WHERE type = 'ImageGenerated'"),
      );
    } finally {
      copy.close();
    }
  });

  it("refuses a database that does not exist, creating nothing", async () => {
    const dir = tempDir();
    await expect(backupDatabase(join(dir, "none.db"), { dir: join(dir, "b") })).rejects.toThrow(
      /database .*none\.db does not exist: nothing to back up/,
    );
    expect(readdirSync(dir)).toEqual([]);
  });
});
