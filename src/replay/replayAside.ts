import { asDiskFailure } from "../db/sqliteErrors.js";
import { createLogReader } from "../events/readEvents.js";
import type { Store } from "../store/openStore.js";
import { createReplayer, type OnProgress, REPLAY_PAGE_SIZE } from "./replay.js";
import { createScratch, deferIndexes } from "./scratch.js";
import { ASIDE, tablesOf } from "./tables.js";

/** The log replayed into a scratch database attached to the store's connection as ASIDE. */
export interface ReplayAside {
  /** Replay the events appended since, up to the log's head now, and return that head (in a transaction: its snapshot's). */
  catchUp(): number;
  /** Events replayed so far. */
  readonly done: number;
}

export interface ReplayAsideOptions {
  /** Catch-ups before attaching, each up to the head of the moment, until the log's tail is a page or less. */
  rounds: number;
  onProgress?: OnProgress | undefined;
}

/**
 * What rebuild and audit both run: replay the whole log into a private scratch
 * database beside the store, without any lock on it; attach the scratch to the
 * store's connection as ASIDE and run `work`; detach and delete the scratch
 * afterwards, whatever happens.
 * @example replayAside(store, { rounds: 1 }, (aside) => store.db.transaction(() => aside.catchUp())())
 */
export const replayAside = <T>(store: Store, options: ReplayAsideOptions, work: (aside: ReplayAside) => T): T => {
  const scratch = createScratch(store.path);
  let attached = false;
  try {
    // Every handler runs aside, even for some projections only: a handler may read another projection's table.
    // The scratch's rows are only ever matched by primary key: its secondary indexes would be built only to be
    // thrown away, so they are dropped for good.
    deferIndexes(scratch.db, tablesOf());
    const replayer = createReplayer(scratch.db);
    const log = createLogReader(store.db);
    let total = store.headPosition();
    const report = (done: number) => options.onProgress?.({ done, total: Math.max(total, done) });
    for (let round = 0; round < options.rounds; round++) {
      replayer.catchUp(log, total, report);
      total = store.headPosition();
      if (total - replayer.position <= REPLAY_PAGE_SIZE) break;
    }
    store.db.prepare(`ATTACH DATABASE ? AS ${ASIDE}`).run(scratch.path);
    attached = true;
    return work({
      catchUp: () => {
        total = store.headPosition();
        replayer.catchUp(log, total, report);
        return total;
      },
      get done() {
        return replayer.done;
      },
    });
  } catch (e) {
    // The scratch is beside the store, on its disk: a full disk stops the replay (or the swap, which rolls back).
    throw asDiskFailure(e, scratch.path, "the scratch database of a replay beside the store");
  } finally {
    if (attached) store.db.prepare(`DETACH DATABASE ${ASIDE}`).run();
    scratch.dispose();
  }
};
