import { afterAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { openStore } from "../../src/index.js";
import { tempDir } from "../support.js";
import { prng } from "./children/protocol.js";
import {
  auditDrift,
  type Child,
  killAtRandomMoment,
  killLeftoverProcesses,
  logRowsById,
  logShape,
  migratedDb,
  recordFigures,
  replayMismatches,
  runSeed,
  sized,
  spawnChild,
} from "./support.js";

const KILLS = sized("RELIABILITY_KILLS", 20);
const seed = runSeed();
const figures: Record<string, unknown> = { seed, killsPerKind: KILLS };
afterAll(() => recordFigures("crash-safety", figures));
afterAll(killLeftoverProcesses);

/**
 * Open the store after a kill (SQLite recovers the WAL here) and check what the
 * child left: every acknowledged append at its acknowledged position, no batch in
 * part, gapless positions, tables equal to a replay of the log, then append again.
 */
const inspectAfterKill = (path: string, dir: string, child: Child, tag: string) => {
  const store = openStore({ url: path });
  const log = logRowsById(store.db);
  const lost = child.acked.filter(
    ([id, position, stream, version]) => JSON.stringify(log.get(id)) !== JSON.stringify([position, stream, version]),
  );
  const partialBatches = store.db
    .prepare(
      `SELECT json_extract(metadata, '$.correlationId') AS batch, count(*) AS events, json_extract(metadata, '$.batchSize') AS size
       FROM events WHERE event_id LIKE ? || '-%' AND json_extract(metadata, '$.batchSize') IS NOT NULL
       GROUP BY batch HAVING events != size`,
    )
    .all(tag);
  const committed = z
    .number()
    .parse(store.db.prepare(`SELECT count(*) FROM events WHERE event_id LIKE ? || '-%'`).pluck().get(tag));
  const shape = logShape(store.db);
  const quickCheck = store.db.pragma("quick_check", { simple: true });
  const replay = replayMismatches(path, dir);
  const audit = auditDrift(store);
  store.emit.batchStarted({ batchId: `after-kill-${tag}` }, { id: `after-kill-${tag}` });
  store.close();
  return {
    lost,
    partialBatches,
    gapless: shape.gapless,
    brokenStreams: shape.brokenStreams,
    quickCheck,
    replay,
    audit,
    committed,
  };
};

describe.each([
  { mode: "single", maxAcks: 60, maxDelayMs: 5 },
  { mode: "batch", maxAcks: 4, maxDelayMs: 30 },
])("SIGKILL during $mode appends", ({ mode, maxAcks, maxDelayMs }) => {
  it(`loses no acknowledged append and leaves none half-written, across ${KILLS} kills`, async () => {
    const dir = tempDir();
    const path = migratedDb(dir);
    const random = prng(seed + mode.length).next;
    const tally = { kills: 0, ackedAppends: 0, ackedEvents: 0, committedUnacknowledged: 0 };
    for (let i = 0; i < KILLS; i++) {
      const tag = `${mode}${i}`;
      const child = spawnChild("appender.ts", { DB: path, MODE: mode, TAG: tag, SEED: String(seed + i) });
      const exit = await killAtRandomMoment(child, random, { maxAcks, maxDelayMs });
      expect(child.errors, `kill ${i}: child errors`).toEqual([]);
      expect(exit, `kill ${i}: the child was running when killed`).toMatchObject({ alive: true, signal: "SIGKILL" });
      const after = inspectAfterKill(path, dir, child, tag);
      expect({ ...after, committed: undefined }, `kill ${i} (seed ${seed})`).toEqual({
        lost: [],
        partialBatches: [],
        gapless: true,
        brokenStreams: [],
        quickCheck: "ok",
        replay: [],
        audit: [],
        committed: undefined,
      });
      // The kill may land between a commit and its acknowledgement: such events are in the log, unacknowledged.
      expect(after.committed).toBeGreaterThanOrEqual(child.acked.length);
      tally.kills++;
      tally.ackedAppends += child.messages.filter((m) => m.t === "ack").length;
      tally.ackedEvents += child.acked.length;
      tally.committedUnacknowledged += after.committed - child.acked.length;
    }
    figures[mode] = tally;
  }, 300_000);
});
