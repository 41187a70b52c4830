import type { Db } from "../db/connection.js";
import type { LogReader } from "../events/readEvents.js";
import type { StoredEvent } from "../events/envelope.js";
import { createProjector, PROJECTION_NAMES, type ProjectionName } from "../projections/index.js";

/** How far a long operation has got: events done out of the events it will read. */
export interface Progress {
  done: number;
  total: number;
}
export type OnProgress = (progress: Progress) => void;

/** Events per read page and per scratch transaction: large enough to amortise, small enough to stay flat. */
export const REPLAY_PAGE_SIZE = 2000;

/**
 * Apply events to a database through the live handlers (createProjector), one
 * transaction per page. Returns the position of the last event applied.
 */
export const createReplayer = (db: Db, only: readonly ProjectionName[] = PROJECTION_NAMES) => {
  const project = createProjector(db, only);
  const applyPage = db.transaction((events: readonly StoredEvent[]) => {
    for (const e of events) project(e);
  });
  let position = 0;
  let done = 0;
  return {
    get position() {
      return position;
    },
    get done() {
      return done;
    },
    /** Replay a stream of events page by page; `report` runs after each page. */
    replay(events: Iterable<StoredEvent>, report?: (done: number) => void): void {
      let page: StoredEvent[] = [];
      const flush = () => {
        applyPage(page);
        done += page.length;
        const last = page.at(-1);
        if (last) position = last.position;
        page = [];
        report?.(done);
      };
      for (const e of events) {
        page.push(e);
        if (page.length >= REPLAY_PAGE_SIZE) flush();
      }
      if (page.length > 0) flush();
    },
    /** Replay the log's events after the ones already applied, up to position `to`. */
    catchUp(log: Pick<LogReader, "iterateAll">, to: number, report?: (done: number) => void): void {
      this.replay(log.iterateAll({ after: position, to, pageSize: REPLAY_PAGE_SIZE }), report);
    },
  };
};
