import type { Db } from "../db/connection.js";
import { StoreError } from "../db/errors.js";
import { asDiskFailure } from "../db/sqliteErrors.js";

const ALL_PAGES = 0x7fffffff;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Copy the database of `source` over the live file with SQLite's backup API, as
 * one write transaction on the live file: its first step takes the write lock
 * (SQLITE_BUSY if another connection holds it: then the whole copy is tried again,
 * until `lockWaitMs` has passed), `whileLocked` runs with the lock held and nothing
 * written yet, and the second step copies every page, bumps the schema cookie (open
 * connections re-read the schema) and commits. A throw from `whileLocked`, or any
 * failure, rolls the copy back: the live file is as it was.
 *
 * better-sqlite3 drives the steps and opens the destination connection itself. When
 * its first step meets SQLITE_BUSY it reports 0 pages left and resolves as if done
 * (SQLite counts the pages only once it holds the lock): a result of 0 pages is that
 * case, and nothing was written. Returns what `whileLocked` returned and how long
 * the write lock was held (what other writers waited at most).
 * @example const { value: keptAs, lockMs } = await copyIntoLive(copyDb, "/srv/ai_artist.db", () => keepAside(), 30_000)
 */
export const copyIntoLive = async <T>(
  source: Db,
  live: string,
  whileLocked: () => T,
  lockWaitMs: number,
): Promise<{ value: T; lockMs: number }> => {
  const started = Date.now();
  for (;;) {
    let locked: { value: T; at: number } | undefined;
    let done: { totalPages: number };
    try {
      done = await source.backup(live, {
        progress: () => {
          if (!locked) {
            const at = performance.now();
            locked = { value: whileLocked(), at };
          }
          return ALL_PAGES;
        },
      });
    } catch (e) {
      throw asDiskFailure(e, live, "the restored database");
    }
    if (done.totalPages > 0) {
      // The first step of a copy of one page or more leaves pages to copy, so the callback has run.
      if (!locked) throw new Error(`restore of ${live}: the copy finished before the write lock was observed`);
      return { value: locked.value, lockMs: performance.now() - locked.at };
    }
    if (Date.now() - started > lockWaitMs)
      throw new StoreError(
        "STORE_BUSY",
        `cannot restore ${live}: other connections held its write lock at every try for ${Math.round(lockWaitMs / 1000)} s; nothing was changed`,
        { path: live },
      );
    await sleep(1 + Math.random() * 10);
  }
};
