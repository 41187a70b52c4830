import { z } from "zod";
import type { Db } from "../db/connection.js";
import { StoreError } from "../db/errors.js";
import type { StoredEvent } from "../events/envelope.js";
import { createLogReader, EVENT_COLUMNS, parseEventRow, readInPages } from "../events/readEvents.js";
import { isoTime } from "../events/schemas.js";
import { createQueries, type Queries } from "../queries/index.js";
import { openStore, type Store } from "../store/openStore.js";
import { createReplayer, type OnProgress, READ_PAGE_SIZE } from "./replay.js";
import { createScratch, deferIndexes } from "./scratch.js";
import { tablesOf } from "./tables.js";

/**
 * The point of the log to travel to: a position or a time, exactly one.
 * @example openStoreAsOf(store, { position: 1200 })
 */
export interface AsOfOptions {
  /** Replay the log up to this global position, inclusive. */
  position?: number;
  /**
   * Replay what had happened by this time (ISO-8601): every stream up to its
   * first event that occurred later. Exactly the log's prefix when event times
   * rise with positions; a backfilled event counts at the time it occurred.
   */
  time?: string;
  onProgress?: OnProgress;
}

/** The projection tables as they stood at a point of the log, in a scratch database. */
export interface StoreAsOf {
  readonly queries: Queries;
  /** The last position replayed (0 when nothing was). */
  readonly position: number;
  /** Events replayed. */
  readonly events: number;
  /** The scratch database, for reading tables directly. */
  readonly db: Db;
  /** Close and delete the scratch database. */
  close(): void;
}

/** Events of streams as of a time, page by page: a stream stops at its first event after the time. */
function* eventsAsOfTime(db: Db, time: string): Generator<StoredEvent> {
  const page = db
    .prepare(
      `SELECT ${EVENT_COLUMNS} FROM events e
     WHERE e.position > @after AND e.occurred_at <= @time
       AND NOT EXISTS (SELECT 1 FROM events p WHERE p.stream_id = e.stream_id AND p.stream_version < e.stream_version AND p.occurred_at > @time)
     ORDER BY e.position LIMIT @limit`,
    )
    .raw();
  yield* readInPages((after, limit) => page.all({ after, time, limit }).map(parseEventRow), {
    pageSize: READ_PAGE_SIZE,
  });
}

/**
 * Replay the log up to a position or a time into a scratch database migrated
 * the same way as the store, and run any documented query as of then.
 * @example const past = openStoreAsOf(store, { time: "2026-01-08T12:00:00Z" }); past.queries.qualityDistribution(); past.close();
 */
export const openStoreAsOf = (source: Store | string, options: AsOfOptions): StoreAsOf => {
  if ((options.position === undefined) === (options.time === undefined))
    throw new StoreError("INVALID_ARGUMENT", "time travel needs exactly one of position or time", {});
  const position = options.position === undefined ? undefined : z.number().int().min(0).safeParse(options.position);
  if (position && !position.success)
    throw new StoreError(
      "INVALID_ARGUMENT",
      `position must be a non-negative integer, got ${String(options.position)}`,
      {},
    );
  const time = options.time === undefined ? undefined : isoTime.safeParse(options.time);
  if (time && !time.success)
    throw new StoreError(
      "INVALID_ARGUMENT",
      `time must be ISO-8601 with a zone (e.g. 2026-01-08T12:00:00Z), got ${options.time}`,
      {},
    );
  const store = typeof source === "string" ? openStore({ url: source, stale: "ignore" }) : source;
  const scratch = createScratch();
  try {
    // Loaded bare, indexed once at the end: the queries then run on the store's own schema and plans.
    const restoreIndexes = deferIndexes(scratch.db, tablesOf());
    const replayer = createReplayer(scratch.db);
    if (time?.success) {
      const total = z
        .number()
        .int()
        .parse(store.db.prepare(`SELECT count(*) FROM events WHERE occurred_at <= ?`).pluck().get(time.data));
      replayer.replay(eventsAsOfTime(store.db, time.data), (done) =>
        options.onProgress?.({ done, total: Math.max(total, done) }),
      );
    } else {
      const to = Math.min(position?.success ? position.data : 0, store.headPosition());
      replayer.catchUp(createLogReader(store.db), to, (done) => options.onProgress?.({ done, total: to }));
    }
    restoreIndexes();
    return {
      queries: createQueries(scratch.db),
      position: replayer.position,
      events: replayer.done,
      db: scratch.db,
      close: scratch.dispose,
    };
  } catch (e) {
    scratch.dispose();
    throw e;
  } finally {
    if (typeof source === "string") store.close();
  }
};
