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

/**
 * Lines given to each follower: more than it acknowledges before its kill, so it dies
 * mid-stream. Group commit acknowledges up to 500 lines at once, and a kill lands up to
 * 10 ms after the awaited acknowledgement: a follower may get a group or two past MAX_ACKS.
 */
const PER_FOLLOWER = 2000;
const MAX_ACKS = 150;

describe("SIGKILL during `emit --follow`", () => {
  it(`loses no acknowledged line and half-writes none across ${KILLS} kills; a producer that resends from its first unacknowledged line ends with every line once`, async () => {
    const dir = tempDir();
    const path = migratedDb(dir);
    const random = prng(seed).next;
    const plan = planLines("f", KILLS * PER_FOLLOWER + 100, random);
    const tally = {
      kills: 0,
      killedMidStream: 0,
      linesAcknowledged: 0,
      refusedAsPlanned: 0,
      resentCommitted: 0,
      committedUnacknowledged: 0,
    };
    let offset = 0;
    // The first lines a follower is fed that an earlier one committed without acknowledging them (group commit: a run).
    let resendCommitted = 0;
    // The next follower starts (a second or two under tsx) while the last kill is checked; it waits on stdin.
    let next = spawnFollower(path);
    for (let i = 0; i < KILLS; i++) {
      const follower = next;
      follower.feed(plan, offset, PER_FOLLOWER);
      const exit = await killAtRandomMoment(follower, random, { minAcks: 1, maxAcks: MAX_ACKS, maxDelayMs: 10 });
      next = spawnFollower(path);
      expect(exit, `kill ${i}: it was running`).toMatchObject({ alive: true, signal: "SIGKILL" });

      const store = openStore({ url: path });
      const check = checkFollower(store.db, follower, plan, { mayBeDuplicate: resendCommitted });
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
      if (resendCommitted > 0 && follower.acked[0]?.[4]) tally.resentCommitted++;
      // The producer resends from its first unacknowledged line: it and the lines after it may be committed already.
      offset += acks;
      const lastCommitted = check.committedUnacknowledged.at(-1);
      const lastIndex = plan.findIndex((l) => l.event !== undefined && l.event.id === lastCommitted);
      resendCommitted = lastCommitted === undefined ? 0 : lastIndex - offset + 1;
      tally.committedUnacknowledged = Math.max(tally.committedUnacknowledged, check.committedUnacknowledged.length);
    }
    expect(tally.killedMidStream).toBe(KILLS);

    // A last follower takes the next lines and ends with its input: every good line of the plan so far is in the log, once, in plan order.
    const last = next;
    const end = offset + 100;
    last.feed(plan, offset, 100, true);
    const exit = await last.exited;
    expect(exit.code, last.stderr()).toBe(1); // some lines of the plan are bad on purpose
    const store = openStore({ url: path });
    expect(checkFollower(store.db, last, plan, { mayBeDuplicate: resendCommitted })).toMatchObject({
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
