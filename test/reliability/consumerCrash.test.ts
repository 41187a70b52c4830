import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { openConnection } from "../../src/db/connection.js";
import { type Follower, startFollower } from "../cli/followClient.js";
import { tempDir } from "../support.js";
import { prng } from "./children/protocol.js";
import {
  type Child,
  killAtRandomMoment,
  logShape,
  migratedDb,
  recordFigures,
  runSeed,
  sized,
  spawnChild,
} from "./support.js";

const KILLS = sized("RELIABILITY_CONSUMER_KILLS", 20);
const seed = runSeed();
const figures: Record<string, unknown> = { seed, killsPerKind: KILLS };
afterAll(() => recordFigures("consumer-crash", figures));

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The consumer's checkpoint (0 before it exists) and the log's head, from a connection of the test's own. */
const readState = (path: string, name: string) => {
  const db = openConnection(path, { readonly: true });
  try {
    const position = db.prepare(`SELECT position FROM consumers WHERE name = ?`).pluck().get(name);
    return { checkpoint: z.number().optional().parse(position) ?? 0, shape: logShape(db) };
  } finally {
    db.close();
  }
};

/** Emitters appending all along, so the log grows under the consumers being killed. */
const startEmitters = async (path: string, n: number): Promise<Child[]> => {
  const emitters = Array.from({ length: n }, (_, i) =>
    spawnChild("pacedEmitter.ts", { DB: path, TAG: `em${i}`, PACE_MS: "10", SEED: String(seed + 100 + i) }),
  );
  for (const e of emitters) await e.waitUntil(() => e.messages.some((m) => m.t === "ready"));
  return emitters;
};
const stopEmitters = async (emitters: readonly Child[]) => {
  for (const e of emitters) e.proc.kill("SIGKILL");
  for (const e of emitters) await e.exited;
  for (const e of emitters) expect(e.errors, "emitter errors").toEqual([]);
};

/** What one run of a consumer was given, checked against the checkpoint it started from. */
const checkRun = (delivered: readonly number[], checkpointBefore: number, run: string) => {
  // Gapless log, no filter: a run delivers checkpoint+1, checkpoint+2, ... and nothing at or before the checkpoint.
  expect(delivered, `${run}: in order from the checkpoint, none skipped, nothing acknowledged again`).toEqual(
    delivered.map((_, i) => checkpointBefore + 1 + i),
  );
};

describe("SIGKILL of consumers while emitters append", () => {
  it(`artist-store follow: the union of handled events is the log and the checkpoint is the last acknowledgement, across ${KILLS} kills`, async () => {
    const dir = tempDir();
    const path = migratedDb(dir);
    const random = prng(seed).next;
    const emitters = await startEmitters(path, 2);
    const handled = new Set<number>();
    const tally = { kills: 0, delivered: 0, redelivered: 0, acks: 0, checkpointAtUnansweredAck: 0 };
    const follow = (extra: string[] = []): Follower =>
      startFollower([
        "--db",
        path,
        "--consumer",
        "cli",
        "--lease-ms",
        "500",
        "--window",
        String(1 + Math.floor(random() * 50)),
        ...extra,
      ]);
    for (let i = 0; i < KILLS; i++) {
      const before = readState(path, "cli").checkpoint;
      const f = follow();
      const sentAcks: number[] = [];
      // The client handles each line, and acknowledges the latest one now and then.
      const acking = setInterval(() => {
        const last = f.events.at(-1);
        if (last !== undefined && last > (sentAcks.at(-1) ?? before) && random() < 0.5) {
          sentAcks.push(last);
          f.ack(last);
        }
      }, 2);
      const lines = Math.floor(random() * 60);
      await f.waitFor(() => f.events.length >= lines);
      await sleep(Math.floor(random() * 30));
      f.proc.kill("SIGKILL");
      const exit = await f.exited;
      clearInterval(acking);
      expect(exit.signal, `kill ${i}: killed while running (stderr ${f.stderr()})`).toBe("SIGKILL");
      checkRun(f.events, before, `kill ${i}`);
      const after = readState(path, "cli").checkpoint;
      const lastAnswered = f.answers.at(-1) ?? before;
      const inFlight = sentAcks.filter((a) => a > lastAnswered);
      // Acks are applied in order, so the checkpoint is the last answered one or one still awaiting its answer.
      expect([lastAnswered, ...inFlight], `kill ${i}: checkpoint ${after} is an acknowledgement`).toContain(after);
      if (after !== lastAnswered) tally.checkpointAtUnansweredAck++;
      tally.redelivered += f.events.filter((p) => handled.has(p)).length;
      for (const p of f.events) handled.add(p);
      tally.kills++;
      tally.delivered += f.events.length;
      tally.acks += sentAcks.length;
    }
    await stopEmitters(emitters);
    // A last run catches up with everything the emitters wrote, acknowledging every line.
    const before = readState(path, "cli").checkpoint;
    const last = follow(["--until-head", "--window", "1000"]);
    const acking = setInterval(() => {
      const p = last.events.at(-1);
      if (p !== undefined && !last.answers.includes(p)) last.ack(p);
    }, 5);
    const exit = await last.exited;
    clearInterval(acking);
    expect(exit, last.stderr()).toEqual({ code: 0, signal: null });
    checkRun(last.events, before, "the last run");
    for (const p of last.events) handled.add(p);
    const { checkpoint, shape } = readState(path, "cli");
    expect(shape.gapless).toBe(true);
    expect([...handled].sort((a, b) => a - b)).toEqual(Array.from({ length: shape.maxPosition }, (_, i) => i + 1));
    expect(checkpoint).toBe(shape.maxPosition);
    expect(last.answers.at(-1)).toBe(checkpoint);
    figures.follow = { ...tally, events: shape.events };
  }, 600_000);

  it(`runConsumer: the union of handled events is the log and the checkpoint is the last committed batch, across ${KILLS} kills`, async () => {
    const dir = tempDir();
    const path = migratedDb(dir);
    const random = prng(seed + 1).next;
    const emitters = await startEmitters(path, 2);
    const handled = new Set<number>();
    const tally = { kills: 0, delivered: 0, redelivered: 0, checkpointAtUnreportedBatch: 0 };
    const consumer = (extra: Record<string, string> = {}) =>
      spawnChild("consumer.ts", {
        DB: path,
        NAME: "lib",
        BATCH: String(1 + Math.floor(random() * 20)),
        LEASE_MS: "500",
        MAX_HANDLE_MS: "5",
        SEED: String(seed + tally.kills),
        ...extra,
      });
    const deliveredBy = (child: Child) => child.acked.map(([, position]) => position);
    const reported = (child: Child, fallback: number) =>
      child.messages
        .flatMap((m) => (m.t === "phase" && m.name.startsWith("checkpoint ") ? [Number(m.name.slice(11))] : []))
        .at(-1) ?? fallback;
    for (let i = 0; i < KILLS; i++) {
      const before = readState(path, "lib").checkpoint;
      const child = consumer();
      const exit = await killAtRandomMoment(child, random, { maxAcks: 8, maxDelayMs: 10 });
      expect(child.errors, `kill ${i}: child errors`).toEqual([]);
      expect(exit, `kill ${i}: killed while running`).toMatchObject({ alive: true, signal: "SIGKILL" });
      const delivered = deliveredBy(child);
      checkRun(delivered, before, `kill ${i}`);
      const after = readState(path, "lib").checkpoint;
      const lastReported = reported(child, before);
      // Killed between a batch's commit and its report, the checkpoint is that batch's last event, handled in full.
      expect([lastReported, delivered.at(-1)], `kill ${i}: checkpoint ${after}`).toContain(after);
      if (after !== lastReported) tally.checkpointAtUnreportedBatch++;
      tally.redelivered += delivered.filter((p) => handled.has(p)).length;
      for (const p of delivered) handled.add(p);
      tally.kills++;
      tally.delivered += delivered.length;
    }
    await stopEmitters(emitters);
    const before = readState(path, "lib").checkpoint;
    const last = consumer({ STOP_AT_HEAD: "1", BATCH: "500", MAX_HANDLE_MS: "0" });
    await last.waitUntil(() => last.messages.some((m) => m.t === "done"), 300_000);
    expect(last.errors).toEqual([]);
    checkRun(deliveredBy(last), before, "the last run");
    for (const p of deliveredBy(last)) handled.add(p);
    const { checkpoint, shape } = readState(path, "lib");
    expect([...handled].sort((a, b) => a - b)).toEqual(Array.from({ length: shape.maxPosition }, (_, i) => i + 1));
    expect(checkpoint).toBe(shape.maxPosition);
    figures.runConsumer = { ...tally, events: shape.events };
  }, 600_000);
});

describe("two processes of one consumer", () => {
  const TAKEOVERS = sized("RELIABILITY_CONSUMER_TAKEOVERS", 4);

  it(`are never both inside a batch, and the standby takes over after the holder is killed (${TAKEOVERS} times)`, async () => {
    const dir = tempDir();
    const path = migratedDb(dir);
    const emitters = await startEmitters(path, 1);
    const all: Child[] = [];
    const start = () => {
      const child = spawnChild("consumer.ts", {
        DB: path,
        NAME: "pair",
        BATCH: "5",
        LEASE_MS: "3000",
        MAX_HANDLE_MS: "30",
        MARKER: join(dir, "inside-a-batch"),
        SEED: String(seed + 1000 + all.length),
      });
      all.push(child);
      return child;
    };
    const children = [start(), start()];
    const handledBatches = (c: Child) => c.messages.filter((m) => m.t === "ack").length;
    for (let k = 0; k < TAKEOVERS; k++) {
      const [a, b] = children.slice(-2);
      if (!a || !b) throw new Error("two children expected");
      await Promise.race([a.waitUntil(() => handledBatches(a) > 0), b.waitUntil(() => handledBatches(b) > 0)]);
      const [holder, standby] = handledBatches(a) > 0 ? [a, b] : [b, a];
      // Both running: the standby waits for the lease while the holder goes on handling batches.
      await standby.waitUntil(() =>
        standby.messages.some((m) => m.t === "phase" && m.name === "waiting for the lease"),
      );
      const seen = handledBatches(holder);
      await holder.waitUntil(() => handledBatches(holder) >= seen + 3);
      expect(handledBatches(standby), `takeover ${k}: the standby waits while the holder runs`).toBe(0);
      // Kill the holder a few milliseconds after it finished a batch: most often inside the next one.
      await sleep(Math.floor(Math.random() * 30));
      holder.proc.kill("SIGKILL");
      await holder.exited;
      await standby.waitUntil(() => handledBatches(standby) > 0);
      children.splice(children.indexOf(holder), 1);
      children.push(start());
    }
    for (const c of children) c.proc.kill("SIGKILL");
    for (const c of children) await c.exited;
    await stopEmitters(emitters);
    for (const c of all) expect(c.errors, "no child found another inside a batch").toEqual([]);
    figures.takeovers = { takeovers: TAKEOVERS, processes: all.length };
  }, 600_000);
});
