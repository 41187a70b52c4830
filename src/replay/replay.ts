import type { Db } from "../db/connection.js";
import { type ChainLink, GENESIS_HASH } from "../events/chain.js";
import type { StoredEvent } from "../events/envelope.js";
import type { LogReader } from "../events/readEvents.js";
import { createProjector, PROJECTION_NAMES, type ProjectionName } from "../projections/index.js";

/** How far a long operation has got: events done out of the events it will read. */
export interface Progress {
  done: number;
  total: number;
}
/**
 * The progress callback of rebuild, audit and time travel.
 * @example rebuildProjections(store, { onProgress: ({ done, total }) => console.log(`${done}/${total}`) })
 */
export type OnProgress = (progress: Progress) => void;

/** Events per scratch transaction: large enough to amortise a commit, small enough to stay flat. */
export const REPLAY_PAGE_SIZE = 2000;

/**
 * Events per read of the log. Smaller than a transaction: a page lives until
 * its last event is applied, and every young-generation GC copies what lives;
 * smaller pages cut a replay's GC time (figures: docs/performance.md).
 */
export const READ_PAGE_SIZE = 500;

/**
 * Apply events to a database through the live handlers (createProjector), one
 * transaction per REPLAY_PAGE_SIZE events, pulled from the stream as they are
 * applied. Returns the position of the last event applied.
 */
export const createReplayer = (db: Db, only: readonly ProjectionName[] = PROJECTION_NAMES) => {
  const project = createProjector(db, only);
  const applyBatch = db.transaction((events: Iterator<StoredEvent>): { applied: number; last: number | undefined } => {
    let applied = 0;
    let last: number | undefined;
    while (applied < REPLAY_PAGE_SIZE) {
      const next = events.next();
      if (next.done) break;
      project(next.value);
      last = next.value.position;
      applied++;
    }
    return { applied, last };
  });
  let position = 0;
  let done = 0;
  // Where the chain stands in the events catchUp replayed: each one is checked to extend it.
  const link: ChainLink = { position: 0, hash: GENESIS_HASH };
  return {
    get position() {
      return position;
    },
    get done() {
      return done;
    },
    /** Replay a stream of events, a transaction at a time; `report` runs after each. */
    replay(events: Iterable<StoredEvent>, report?: (done: number) => void): void {
      const stream = events[Symbol.iterator]();
      for (;;) {
        const { applied, last } = applyBatch(stream);
        if (applied === 0) return;
        done += applied;
        if (last !== undefined) position = last;
        report?.(done);
        if (applied < REPLAY_PAGE_SIZE) return;
      }
    },
    /**
     * Replay the log's events after the ones already applied, up to position `to`, each
     * checked against the chain as it streams through: the first event that breaks it
     * (or its schema) stops the replay with CORRUPT_LOG naming its position, unapplied.
     */
    catchUp(log: Pick<LogReader, "iterateChained" | "linkAt">, to: number, report?: (done: number) => void): void {
      // After replay() of events the chain did not see, it starts again from the log's hash where the replay stands.
      if (link.position !== position) Object.assign(link, log.linkAt(position));
      this.replay(log.iterateChained(link, { to, pageSize: READ_PAGE_SIZE }), report);
    },
  };
};
