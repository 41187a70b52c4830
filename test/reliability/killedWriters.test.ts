import { statSync } from "node:fs";
import { afterAll, describe, expect, it } from "vitest";
import { z } from "zod";
import type { Db } from "../../src/db/connection.js";
import { openStore } from "../../src/index.js";
import { tempDir } from "../support.js";
import { prng } from "./children/protocol.js";
import { checkFollower, type Follower, type PlannedLine, planLines, spawnFollower } from "./follower.js";
import {
  auditDrift,
  type Child,
  type Killable,
  killAtRandomMoment,
  killLeftoverProcesses,
  logShape,
  migratedDb,
  recordFigures,
  replayMismatches,
  runSeed,
  sized,
  spawnChild,
} from "./support.js";

const WRITERS = sized("RELIABILITY_WRITERS", 8);
const KILLS = sized("RELIABILITY_KILLS", 20);
const SHARED = 4;
/** Writers killed per round, each round starting with all of them at work. */
const PER_ROUND = 3;
const seed = runSeed();
const figures: Record<string, unknown> = { seed, writersAtOnce: WRITERS };
afterAll(() => recordFigures("killed-writers", figures));
afterAll(killLeftoverProcesses);

/**
 * The writers, in turn: single appends, batches of 20-120, a mix with expected versions on
 * shared streams and re-sends (the concurrency suite's emitter), and `emit --follow` fed JSON lines.
 * Each paces itself (20 ms between appends, 100 ms between batches, 10 lines per 100 ms): flat out,
 * 8 writers left SQLite no moment to restart its WAL (it passed 200 MB in under a minute here)
 * and, with the kills, writers stalled 20 s and more (see docs/reliability.md).
 */
const KINDS = [
  { kind: "single", maxAcks: 40 },
  { kind: "batch", maxAcks: 4 },
  { kind: "mixed", maxAcks: 30 },
  { kind: "follow", maxAcks: 60 },
] as const;
type Kind = (typeof KINDS)[number]["kind"];

type Writer =
  | { kind: Exclude<Kind, "follow">; idPrefix: string; process: Child }
  | { kind: "follow"; idPrefix: string; process: Follower; plan: PlannedLine[] };

const EventRow = z.object({ id: z.string(), position: z.number() });

/**
 * What a killed tsx writer left: each acknowledged event where it was acknowledged, and
 * nothing else of it but its last append (committed as the kill came, before its
 * acknowledgement): one run of consecutive positions after all its acknowledged ones.
 */
const checkChild = (db: Db, writer: Writer & { process: Child }) => {
  const rows = db
    .prepare(`SELECT event_id AS id, position FROM events WHERE substr(event_id, 1, length(@p)) = @p ORDER BY position`)
    .all({ p: writer.idPrefix })
    .map((r) => EventRow.parse(r));
  const positions = new Map(rows.map((r) => [r.id, r.position]));
  const acked = writer.process.acked;
  const lost = acked.filter(([id, position]) => positions.get(id) !== position).map(([id]) => id);
  const ackedIds = new Set(acked.map(([id]) => id));
  const unacked = rows.filter((r) => !ackedIds.has(r.id)).map((r) => r.position);
  const lastAcked = Math.max(0, ...acked.map(([, position]) => position));
  const first = unacked[0] ?? Number.POSITIVE_INFINITY;
  const oneLastAppend = unacked.length === 0 || (first > lastAcked && unacked.at(-1) === first + unacked.length - 1);
  return { errors: writer.process.errors, lost, oneLastAppend, unacknowledged: unacked.length };
};

describe(`${WRITERS} writer processes at once, SIGKILLed one at a time and replaced`, () => {
  it(`lose no acknowledged event and half-write nothing across ${KILLS} kills and the ${WRITERS} at the end`, async () => {
    const dir = tempDir();
    const path = migratedDb(dir);
    const setup = openStore({ url: path });
    setup.append(
      Array.from({ length: SHARED }, (_, s) => ({
        type: "ImageGenerated" as const,
        id: `setup-${s}`,
        data: { filename: `shared-${s}.png`, prompt: "shared", modelId: "m" },
      })),
    );
    setup.close();

    const random = prng(seed).next;
    let generation = 0;
    const spawnWriter = (kind: Kind): Writer => {
      const g = generation++;
      const env = { DB: path, SEED: String(seed + g) };
      if (kind === "follow") {
        const plan = planLines(`f${g}`, 5000, prng(seed + g).next);
        const process = spawnFollower(path);
        // A producer writing 10 lines every 100 ms: the follower is mid-stream whenever it is killed.
        let sent = 0;
        const producer = setInterval(() => {
          if (process.proc.exitCode !== null || process.proc.signalCode !== null || sent >= plan.length)
            return clearInterval(producer);
          process.feed(plan, sent, 10);
          sent += 10;
        }, 100);
        return { kind, idPrefix: `f${g}-`, process, plan };
      }
      if (kind === "mixed") {
        const process = spawnChild("emitter.ts", {
          ...env,
          CHILD: String(g),
          EVENTS: "1000000000",
          SHARED: String(SHARED),
          PAUSE_MS: "20",
        });
        return { kind, idPrefix: `c${g}-`, process };
      }
      const tag = `${kind[0]}${g}`;
      const process = spawnChild("appender.ts", {
        ...env,
        MODE: kind,
        TAG: tag,
        PAUSE_MS: kind === "batch" ? "100" : "20",
      });
      return { kind, idPrefix: `${tag}-`, process };
    };
    const maxAcks = (w: Writer) => KINDS.find((k) => k.kind === w.kind)?.maxAcks ?? 1;
    const writing = (p: Killable) => p.acks() > 0 && p.proc.exitCode === null && p.proc.signalCode === null;

    const started = Date.now();
    const slots = Array.from({ length: WRITERS }, (_, i) => spawnWriter(KINDS[i % KINDS.length]?.kind ?? "single"));

    // Rounds: once every writer is at work, kill a few of them at random moments of their appends, then replace them.
    const killed: Writer[] = [];
    const writingEachRound: number[] = [];
    const allWriting = async () => {
      await Promise.all(slots.map((w) => w.process.waitUntil(() => w.process.acks() > 0)));
      writingEachRound.push(slots.filter((w) => writing(w.process)).length);
    };
    const kill = async (w: Writer, label: string) => {
      const now = w.process.acks();
      const exit = await killAtRandomMoment(w.process, random, {
        minAcks: now + 1,
        maxAcks: now + maxAcks(w),
        maxDelayMs: 10,
      });
      expect(exit, `${label}: ${w.kind} writer ${w.idPrefix} was at work`).toMatchObject({
        alive: true,
        signal: "SIGKILL",
      });
      killed.push(w);
    };
    let rounds = 0;
    while (killed.length < KILLS) {
      await allWriting();
      const chosen = new Set<number>();
      while (chosen.size < Math.min(PER_ROUND, WRITERS, KILLS - killed.length))
        chosen.add(Math.floor(random() * WRITERS));
      const victims = [...chosen].flatMap((slot) => slots[slot] ?? []);
      await Promise.all(victims.map((w) => kill(w, `round ${rounds}, ${w.idPrefix}`)));
      for (const slot of chosen) slots[slot] = spawnWriter(slots[slot]?.kind ?? "single");
      rounds++;
    }
    await allWriting();
    await Promise.all(slots.map((w, i) => kill(w, `end, slot ${i}`)));
    figures.seconds = (Date.now() - started) / 1000;
    expect(Math.min(...writingEachRound), "every round began with all writers at work").toBe(WRITERS);

    figures.walBytesAtTheEnd = statSync(`${path}-wal`).size;
    const store = openStore({ url: path });
    const committedUnacknowledged: number[] = [];
    for (const w of killed) {
      if (w.kind === "follow") {
        const { committedUnacknowledged: unacked, ...check } = checkFollower(store.db, w.process, w.plan);
        expect(check, `${w.idPrefix} (seed ${seed})`).toEqual({
          misacknowledged: [],
          lost: [],
          refusedButStored: [],
          notAsSent: [],
          committedOutOfOrder: [],
        });
        committedUnacknowledged.push(unacked.length);
      } else {
        const { unacknowledged, ...check } = checkChild(store.db, w);
        expect(check, `${w.idPrefix} (seed ${seed})`).toEqual({ errors: [], lost: [], oneLastAppend: true });
        committedUnacknowledged.push(unacknowledged);
      }
    }
    const partialBatches = store.db
      .prepare(
        `SELECT json_extract(metadata, '$.correlationId') AS batch, count(*) AS events, json_extract(metadata, '$.batchSize') AS size
         FROM events WHERE json_extract(metadata, '$.batchSize') IS NOT NULL GROUP BY batch HAVING events != size`,
      )
      .all();
    const shape = logShape(store.db);
    expect({
      partialBatches,
      gapless: shape.gapless,
      brokenStreams: shape.brokenStreams,
      integrity: store.db.pragma("integrity_check", { simple: true }),
      replay: replayMismatches(path, dir),
      audit: auditDrift(store),
    }).toEqual({ partialBatches: [], gapless: true, brokenStreams: [], integrity: "ok", replay: [], audit: [] });
    expect(store.emit.batchStarted({ batchId: "after-the-kills" }).position).toBe(shape.events + 1);
    store.close();

    const byKind = Object.fromEntries(KINDS.map(({ kind }) => [kind, killed.filter((w) => w.kind === kind).length]));
    figures.kills = killed.length;
    figures.killsDuringTheRun = KILLS;
    figures.killsAtTheEnd = WRITERS;
    figures.killsByKind = byKind;
    figures.writersStarted = generation;
    figures.rounds = rounds;
    figures.acknowledgedEvents = killed.reduce((n, w) => n + w.process.acked.filter((a) => !a[4]).length, 0);
    figures.committedUnacknowledgedEvents = committedUnacknowledged.reduce((n, u) => n + u, 0);
    figures.logEvents = shape.events;
  }, 300_000);
});
