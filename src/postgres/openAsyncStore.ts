import type { AppendedEvent } from "../events/envelope.js";
import { openStore, type Store } from "../store/openStore.js";
import type { AsyncStore, OpenAsyncStoreOptions } from "./asyncStore.js";
import { isPostgresUrl } from "./url.js";

/** The synchronous store behind the async interface: each call runs as it does, its result or error a promise's. */
const wrapSqlite = (store: Store): AsyncStore => {
  const later =
    <A extends unknown[], R>(fn: (...args: A) => R) =>
    async (...args: A): Promise<Awaited<R>> =>
      await fn(...args);
  const q = store.queries;
  const emit = store.emit;
  const one = <D, O>(fn: (data: D, options?: O) => AppendedEvent) => later(fn);
  return {
    backend: "sqlite",
    append: later(store.append),
    appendUnknown: later(store.appendUnknown),
    emit: {
      imageGenerated: one(emit.imageGenerated),
      imageCurated: one(emit.imageCurated),
      trainingStarted: one(emit.trainingStarted),
      trainingCompleted: one(emit.trainingCompleted),
      trainingFailed: one(emit.trainingFailed),
      batchStarted: one(emit.batchStarted),
      batchFinished: one(emit.batchFinished),
    },
    readStream: later(store.readStream),
    readAll: later(store.readAll),
    headPosition: later(store.headPosition),
    queries: {
      recentHighQualityImages: later(q.recentHighQualityImages),
      uncuratedImages: later(q.uncuratedImages),
      qualityDistribution: later(q.qualityDistribution),
      trainingSessionStatistics: later(q.trainingSessionStatistics),
      dailyCreationStatistics: later(q.dailyCreationStatistics),
    },
    close: later(store.close),
  };
};

/**
 * Open the store behind one async interface, on the backend the URL's scheme names:
 * `postgres://` (or `postgresql://`) a PostgreSQL database, `sqlite:` or a plain path a SQLite
 * file (the synchronous store, wrapped). Calls, results and StoreErrors are the same on both.
 * @example const store = await openAsyncStore(process.env.DATABASE_URL ?? "sqlite:data/ai_artist.db"); await store.emit.batchStarted({ batchId: "b1" });
 */
export const openAsyncStore = async (url: string, options: OpenAsyncStoreOptions = {}): Promise<AsyncStore> => {
  if (isPostgresUrl(url)) {
    // Loaded only for a PostgreSQL URL: a SQLite pipeline never loads the pg driver.
    const { openPostgresStore } = await import("./openPostgresStore.js");
    return openPostgresStore(url, options);
  }
  return wrapSqlite(
    openStore({
      url,
      migrate: options.migrate,
      clock: options.clock,
      producer: options.producer,
      stale: options.stale,
      onWarning: options.onWarning,
    }),
  );
};
