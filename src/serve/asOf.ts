import type { Db } from "../db/connection.js";
import { openStoreAsOf, type StoreAsOf } from "../replay/openStoreAsOf.js";
import type { Store } from "../store/openStore.js";
import { HttpError } from "./params.js";

/**
 * How much time travel one request may cost: a replay runs the whole log up to the point asked
 * for into a scratch database, synchronously, so it holds up the server while it runs.
 * @example createAsOf(store, { maxEvents: 200_000, budgetMs: 10_000 })
 */
export interface AsOfLimits {
  /** Refuse a point that needs more events replayed than this. */
  maxEvents: number;
  /** Abandon a replay that has run longer than this many milliseconds. */
  budgetMs: number;
}

/** The projection tables as they stood at a point of the log, and what it took to get them. */
export interface AsOfView {
  db: Db;
  /** The last position replayed: the log as it stood at that position. */
  position: number;
  events: number;
  /** Milliseconds the replay took (0 when it came from the cache or needed none). */
  replayMs: number;
  requested: { position?: number; time?: string };
}

/** Scratch databases kept for the next request at the same point (a page and its API calls share one). */
const CACHE_SIZE = 2;

/**
 * Time travel for the dashboard: the store's openStoreAsOf, capped by `limits`, with the last
 * replays kept for the next request at the same point. A position at or past the head is the live
 * store itself, no replay.
 * @example const asOf = createAsOf(store, limits); const view = asOf.open({ position: 1200 }); readOverview(view.db, view.position, {});
 */
export const createAsOf = (store: Store, limits: AsOfLimits, now: () => number = () => performance.now()) => {
  const cache = new Map<string, { past: StoreAsOf; view: AsOfView }>();

  const replay = (requested: { position?: number; time?: string }, key: string): AsOfView => {
    const cached = cache.get(key);
    if (cached) {
      cache.delete(key);
      cache.set(key, cached);
      return { ...cached.view, replayMs: 0 };
    }
    const started = now();
    const past = openStoreAsOf(store, {
      ...requested,
      onProgress: ({ done, total }) => {
        if (total > limits.maxEvents) throw tooMany(total, limits);
        const spent = now() - started;
        if (spent > limits.budgetMs)
          throw new HttpError(
            422,
            "AS_OF_TOO_SLOW",
            `time travel passed its budget of ${limits.budgetMs} ms after replaying ${done} of ${total} events ` +
              `(--as-of-budget-ms): ask for an earlier point`,
          );
      },
    });
    const view: AsOfView = {
      db: past.db,
      position: past.position,
      events: past.events,
      replayMs: Math.round(now() - started),
      requested,
    };
    cache.set(key, { past, view });
    for (const [oldest, entry] of cache) {
      if (cache.size <= CACHE_SIZE) break;
      cache.delete(oldest);
      entry.past.close();
    }
    return view;
  };

  return {
    /** The tables as of a position or a time (exactly one); refused with 422 past the limits. */
    open(requested: { position?: number; time?: string }): AsOfView {
      const head = store.headPosition();
      if (requested.position !== undefined) {
        const position = Math.min(requested.position, head);
        if (position === head) return { db: store.db, position, events: head, replayMs: 0, requested };
        if (position > limits.maxEvents) throw tooMany(position, limits);
        return replay({ position }, `p:${position}`);
      }
      // A backfilled event can move a time's answer: the key names the head it was computed at.
      return replay({ time: requested.time }, `t:${requested.time}@${head}`);
    },
    close(): void {
      for (const { past } of cache.values()) past.close();
      cache.clear();
    },
  };
};
export type AsOf = ReturnType<typeof createAsOf>;

const tooMany = (events: number, limits: AsOfLimits) =>
  new HttpError(
    422,
    "AS_OF_TOO_LARGE",
    `time travel to this point replays ${events} events; this dashboard replays at most ${limits.maxEvents} ` +
      `(--as-of-max-events): ask for an earlier point, or use \`artist-store as-of\``,
  );
