import { afterAll, describe, expect, it } from "vitest";
import { openConnection } from "../../src/db/connection.js";
import { openStore } from "../../src/index.js";
import { tempDir } from "../support.js";
import type { AckedEvent } from "./children/protocol.js";
import {
  auditDrift,
  logRowsById,
  logShape,
  migratedDb,
  recordFigures,
  replayMismatches,
  runSeed,
  sized,
  spawnChild,
} from "./support.js";

const PROCESSES = sized("RELIABILITY_PROCESSES", 4);
const EVENTS = sized("RELIABILITY_EVENTS", 5000);
const SHARED = 4;
const seed = runSeed();
const figures: Record<string, unknown> = { seed, processes: PROCESSES, eventsPerProcess: EVENTS };
afterAll(() => recordFigures("concurrent-emitters", figures));

describe(`${PROCESSES} processes emitting ${EVENTS} events each into one store at once`, () => {
  it("lose nothing, duplicate nothing, keep positions gapless, and see only version conflicts", async () => {
    const dir = tempDir();
    const path = migratedDb(dir);
    const setup = openStore({ url: path });
    const shared = setup.append(
      Array.from({ length: SHARED }, (_, s) => ({
        type: "ImageGenerated" as const,
        id: `setup-${s}`,
        data: { filename: `shared-${s}.png`, prompt: "shared", modelId: "m" },
      })),
    );
    setup.close();

    const started = Date.now();
    const children = Array.from({ length: PROCESSES }, (_, i) =>
      spawnChild("emitter.ts", {
        DB: path,
        CHILD: String(i),
        EVENTS: String(EVENTS),
        SHARED: String(SHARED),
        SEED: String(seed + i),
      }),
    );
    const exits = await Promise.all(children.map((c) => c.exited));
    figures.seconds = (Date.now() - started) / 1000;

    // Every caller saw success or a VersionConflictError, never SQLITE_BUSY / "database is locked".
    for (const [i, child] of children.entries()) {
      expect(child.errors, `child ${i} reported errors`).toEqual([]);
      expect(child.stderr(), `child ${i} stderr`).toBe("");
      expect(exits[i]).toEqual({ code: 0, signal: null });
    }
    const done = children.map((c) => c.messages.find((m) => m.t === "done"));
    const total = (key: string) => done.reduce((sum, m) => sum + (m?.t === "done" ? (m.figures[key] ?? 0) : 0), 0);
    for (const key of ["events", "appends", "singles", "batches", "expectedVersionAppends", "conflicts", "resends"])
      figures[key] = total(key);

    const acks: AckedEvent[] = children.flatMap((c) => c.acked);
    const firsts = acks.filter(([, , , , duplicate]) => !duplicate);
    const resent = acks.filter(([, , , , duplicate]) => duplicate);
    const conflicts = children.flatMap((c) => c.messages.filter((m) => m.t === "conflict"));

    const db = openConnection(path, { readonly: true });
    const log = logRowsById(db);
    const shape = logShape(db);
    const integrity = db.pragma("integrity_check", { simple: true });
    db.close();

    // Nothing duplicated: each acknowledged id and position once; nothing lost: each in the log where acknowledged.
    expect(new Set(firsts.map(([id]) => id)).size).toBe(firsts.length);
    expect(new Set(firsts.map(([, position]) => position)).size).toBe(firsts.length);
    const missing = firsts.filter(
      ([id, position, stream, version]) => JSON.stringify(log.get(id)) !== JSON.stringify([position, stream, version]),
    );
    expect(missing, "acknowledged events missing or moved in the log").toEqual([]);
    // Nothing extra: every event in the log was acknowledged to exactly one caller (or is the setup's).
    expect(shape.events).toBe(firsts.length + shared.length);
    // A re-send is a no-op that returns the original position.
    const firstPosition = new Map(firsts.map(([id, position]) => [id, position]));
    expect(resent.filter(([id, position]) => firstPosition.get(id) !== position)).toEqual([]);
    expect(shape.gapless).toBe(true);
    expect(shape.brokenStreams).toEqual([]);
    expect(integrity).toBe("ok");
    // The shared streams were contended, and the contention surfaced as version conflicts, each naming a newer version.
    expect(conflicts.length).toBeGreaterThan(0);
    expect(conflicts.filter((c) => c.t !== "conflict" || c.actual <= c.expected)).toEqual([]);
    expect(figures.events).toBe(firsts.length);
    expect(firsts.length).toBeGreaterThanOrEqual(PROCESSES * EVENTS);
    // The tables are what replaying the log gives.
    expect(replayMismatches(path, dir)).toEqual([]);
    const audited = openStore({ url: path });
    expect(auditDrift(audited), "audit").toEqual([]);
    audited.close();
    figures.logEvents = shape.events;
    figures.auditClean = true;
  }, 300_000);
});
