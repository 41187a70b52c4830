import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { openConnection } from "../../src/db/connection.js";
import { openStore, StoreError } from "../../src/index.js";
import { backupDatabase } from "../../src/maintenance/backup.js";
import { restoreDatabase } from "../../src/maintenance/restore.js";
import { tempDir } from "../support.js";
import { logRowsById, logShape, migratedDb, recordFigures, sized, spawnChild } from "./support.js";

const EVENTS = sized("RELIABILITY_RESTORE_EVENTS", 150);
const MAX_RESTORES = sized("RELIABILITY_RESTORES", 300);
const figures: Record<string, unknown> = {};
afterAll(() => recordFigures("restore", figures));

const readLog = (file: string) => {
  const db = openConnection(file, { readonly: true });
  try {
    return { integrity: db.pragma("integrity_check", { simple: true }), log: logRowsById(db), shape: logShape(db) };
  } finally {
    db.close();
  }
};

describe("restore while pipeline processes open, append to and close the store", () => {
  it.each([1, 2])(
    "with %i such process(es): every restore succeeds, nothing acknowledged is lost, no file is corrupt",
    async (processes) => {
      const dir = tempDir();
      const live = migratedDb(dir);
      const store = openStore({ url: live });
      store.append(
        Array.from({ length: 40 }, (_, i) => ({
          type: "ImageGenerated" as const,
          data: { filename: `before-${i}.png`, prompt: "before the backup", modelId: "m" },
        })),
      );
      store.close();
      const backup = await backupDatabase(live, { dir: join(dir, "backups") });

      const children = Array.from({ length: processes }, (_, i) =>
        spawnChild("reopener.ts", { DB: live, TAG: `p${i}`, EVENTS: String(EVENTS) }),
      );
      await Promise.all(children.map((c) => c.waitUntil(() => c.acked.length > 0)));
      const running = () => children.some((c) => c.proc.exitCode === null && c.proc.signalCode === null);
      const asides: string[] = [];
      const refused: string[] = [];
      let whileEmitting = 0;
      for (let i = 0; i < MAX_RESTORES && running(); i++) {
        try {
          const result = await restoreDatabase(backup.file, live);
          if (result.replacedKeptAt) asides.push(result.replacedKeptAt);
          if (running()) whileEmitting++;
        } catch (e) {
          if (!(e instanceof StoreError)) throw e;
          refused.push(`${e.code}: ${e.message}`);
        }
      }
      const exits = await Promise.all(children.map((c) => c.exited));

      // Every restore went through, beside the open connections.
      expect(refused).toEqual([]);
      expect(whileEmitting).toBeGreaterThan(0);
      children.forEach((c, i) => {
        expect(exits[i], c.stderr()).toEqual({ code: 0, signal: null });
        // A clean StoreError would be allowed; a raw SQLite error (SQLITE_CORRUPT) never.
        expect(c.errors.filter((e) => e.name !== "StoreError")).toEqual([]);
      });

      const files = [live, ...asides].map((file) => ({ file, ...readLog(file) }));
      for (const f of files) expect(f.integrity, f.file).toBe("ok");
      expect(files[0]?.shape).toMatchObject({ gapless: true, brokenStreams: [] });
      const acked = children.flatMap((c) => c.acked);
      const lost = acked.filter(([id, position, stream, version]) => {
        const want = JSON.stringify([position, stream, version]);
        return !files.some((f) => JSON.stringify(f.log.get(id)) === want);
      });
      expect(lost, "acknowledged events in no file").toEqual([]);
      figures[`processes${processes}`] = {
        restores: asides.length,
        whileEmitting,
        acknowledged: acked.length,
        refusedAppends: children.reduce((n, c) => n + c.errors.length, 0),
      };
    },
    120_000,
  );
});
