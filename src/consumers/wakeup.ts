import { type FSWatcher, watch } from "node:fs";
import { basename, dirname } from "node:path";

/**
 * How a follower learns that the log may have grown. SQLite has no notification across
 * processes; every commit in WAL mode writes the `-wal` file, so an inotify watch on the
 * database's folder wakes the follower within a millisecond and costs nothing while idle.
 * A poll every `pollMs` backs it up (a file system without inotify, a missed event).
 * Figures and the alternatives measured: docs/performance.md.
 */
export interface Wakeup {
  /** Resolve after `ms`, or sooner when the database's files change, `wake()` is called or `signal` aborts. */
  wait(ms: number, signal?: AbortSignal): Promise<void>;
  /** Wake every waiter now (an acknowledgement freed room in the window). */
  wake(): void;
  /** Whether the file watch is in place (else only the poll wakes). */
  readonly watching: boolean;
  close(): void;
}

/**
 * The WAL is written before the commit is published in the shared-memory index, so a reader
 * woken by the write can look too early: it is woken again a little later to look once more.
 */
const LOOK_AGAIN_MS = [2, 10];

/**
 * Watch the folder of the database at `path` (the folder, not the file: the WAL is deleted and
 * created again when the last connection closes and the next opens).
 * @example const wakeup = createWakeup(store.path); await wakeup.wait(250, signal); wakeup.close();
 */
export const createWakeup = (path: string): Wakeup => {
  let waiters = new Set<() => void>();
  const wake = () => {
    const now = waiters;
    waiters = new Set();
    for (const resolve of now) resolve();
  };
  const names = new Set([basename(path), `${basename(path)}-wal`]);
  let again: NodeJS.Timeout[] = [];
  let watcher: FSWatcher | undefined;
  const onChange = (_event: string, file: string | Buffer | null) => {
    if (file !== null && !names.has(file.toString())) return;
    wake();
    if (again.length > 0) return;
    again = LOOK_AGAIN_MS.map((ms, i) =>
      setTimeout(() => {
        if (i === LOOK_AGAIN_MS.length - 1) again = [];
        wake();
      }, ms),
    );
  };
  try {
    // Not persistent: a waiting follower is kept alive by its own timer, not by the watch.
    watcher = watch(dirname(path), { persistent: false }, onChange);
    watcher.on("error", () => {
      watcher?.close();
      watcher = undefined;
    });
  } catch {
    watcher = undefined;
  }
  return {
    wait: (ms, signal) =>
      new Promise<void>((resolve) => {
        if (signal?.aborted) return resolve();
        const done = () => {
          clearTimeout(timer);
          signal?.removeEventListener("abort", done);
          waiters.delete(done);
          resolve();
        };
        const timer = setTimeout(done, Math.max(0, ms));
        signal?.addEventListener("abort", done, { once: true });
        waiters.add(done);
      }),
    wake,
    get watching() {
      return watcher !== undefined;
    },
    close: () => {
      watcher?.close();
      watcher = undefined;
      for (const t of again) clearTimeout(t);
      again = [];
      wake();
    },
  };
};
