import { afterAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { openStore } from "../../src/index.js";
import { tempDir } from "../support.js";
import { prng } from "./children/protocol.js";
import { checkFollower, planLines, spawnFollower } from "./follower.js";
import {
  auditDrift,
  killAtRandomMoment,
  killLeftoverProcesses,
  logShape,
  migratedDb,
  recordFigures,
  replayMismatches,
  runSeed,
  sized,
} from "./support.js";

const KILLS = sized("RELIABILITY_KILLS", 20);
const seed = runSeed();
const figures: Record<string, unknown> = { seed };
afterAll(() => recordFigures("follow-kill", figures));
afterAll(killLeftoverProcesses);

/** Lines given to each follower: more than it acknowledges before its kill, so it dies mid-stream. */
const PER_FOLLOWER = 400;
const MAX_ACKS = 150;

describe("SIGKILL during `emit --follow`", () => {
  it(`loses no acknowledged line and half-writes none across ${KILLS} kills; a producer that resends from its first unacknowledged line ends with every line once`, async () => {
    const dir = tempDir();
    const path = migratedDb(dir);
    const random = prng(seed).next;
    const plan = planLines("f", KILLS * MAX_ACKS + PER_FOLLOWER, random);
    const tally = { kills: 0, killedMidStream: 0, linesAcknowledged: 0, refusedAsPlanned: 0, resentCommitted: 0 };
    let offset = 0;
    let resendCommitted = false;
    // The next follower starts (a second or two under tsx) while the last kill is checked; it waits on stdin.
    let next = spawnFollower(path);
    for (let i = 0; i < KILLS; i++) {
      const follower = next;
      follower.feed(plan, offset, PER_FOLLOWER);
      const exit = await killAtRandomMoment(follower, random, { minAcks: 1, maxAcks: MAX_ACKS, maxDelayMs: 10 });
      next = spawnFollower(path);
      expect(exit, `kill ${i}: it was running`).toMatchObject({ alive: true, signal: "SIGKILL" });

      const store = openStore({ url: path });
      const check = checkFollower(store.db, follower, plan, { firstMayBeDuplicate: resendCommitted });
      const shape = logShape(store.db);
      expect(
        {
          ...check,
          gapless: shape.gapless,
          brokenStreams: shape.brokenStreams,
          integrity: store.db.pragma("integrity_check", { simple: true }),
          replay: replayMismatches(path, dir),
          audit: auditDrift(store),
        },
        `kill ${i} (seed ${seed}), plan lines from ${offset + 1}`,
      ).toEqual({
        misacknowledged: [],
        lost: [],
        refusedButStored: [],
        notAsSent: [],
        committedUnacknowledged: check.committedUnacknowledged,
        committedOutOfOrder: [],
        gapless: true,
        brokenStreams: [],
        integrity: "ok",
        replay: [],
        audit: [],
      });
      store.close();
      const acks = follower.acknowledgements.length;
      tally.kills++;
      if (acks < follower.fed().count) tally.killedMidStream++;
      tally.linesAcknowledged += acks;
      tally.refusedAsPlanned += follower.acknowledgements.filter((a) => !a.ok).length;
      if (resendCommitted && follower.acked[0]?.[4]) tally.resentCommitted++;
      // The producer resends from its first unacknowledged line, which may be committed already.
      offset += acks;
      resendCommitted = check.committedUnacknowledged.length > 0 || (resendCommitted && acks === 0);
    }
    expect(tally.killedMidStream).toBe(KILLS);

    // A last follower takes the next lines and ends with its input: every good line of the plan so far is in the log, once, in plan order.
    const last = next;
    const end = offset + 100;
    last.feed(plan, offset, 100, true);
    const exit = await last.exited;
    expect(exit.code, last.stderr()).toBe(1); // some lines of the plan are bad on purpose
    const store = openStore({ url: path });
    expect(checkFollower(store.db, last, plan, { firstMayBeDuplicate: resendCommitted })).toMatchObject({
      misacknowledged: [],
      lost: [],
      refusedButStored: [],
      notAsSent: [],
      committedOutOfOrder: [],
    });
    const good = plan.slice(0, end).flatMap((l) => (l.event ? [l.event.id] : []));
    const logged = z
      .array(z.string())
      .parse(store.db.prepare(`SELECT event_id FROM events ORDER BY position`).pluck().all());
    expect(logged, "the log holds each good line once, in the order of the plan").toEqual(good);
    expect(auditDrift(store)).toEqual([]);
    store.close();
    figures.kills = tally.kills;
    figures.tally = { ...tally, planLinesWritten: end, eventsInLog: logged.length };
  }, 300_000);
});
