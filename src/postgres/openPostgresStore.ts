import { eventError, StoreError } from "../db/errors.js";
import type { AppendedEvent, NewEvent } from "../events/envelope.js";
import { type PreparedEvent, prepareEvent } from "../events/prepareEvent.js";
import type { EventInput, EventType } from "../events/schemas.js";
import type { EmitOptions } from "../store/openStore.js";
import { createPostgresAppender } from "./appendToStream.js";
import type { AsyncEmitters, AsyncStore, OpenAsyncStoreOptions } from "./asyncStore.js";
import { openPool, type Pool } from "./connection.js";
import { assertPostgresSchemaCurrent, runPostgresDbmate } from "./migrations.js";
import { asPostgresFailure } from "./pgErrors.js";
import { POSTGRES_LOG_GUARDS, POSTGRES_PROJECTIONS, postgresFingerprint } from "./projections.js";
import { createPostgresQueries } from "./queries.js";
import { createPostgresLogReader } from "./readEvents.js";
import { redactedUrl } from "./url.js";

/** A fresh, empty store: this code owns its (empty) projection tables from position 0. */
const claimEmptyStore = async (pool: Pool): Promise<void> => {
  for (const name of POSTGRES_PROJECTIONS)
    await pool.query(
      `INSERT INTO projection_state (projection, fingerprint, position)
       SELECT $1, $2, 0 WHERE NOT EXISTS (SELECT FROM events)
       ON CONFLICT (projection) DO NOTHING`,
      [name, postgresFingerprint(name)],
    );
};

/** The path of the first string (or key) in `value` holding U+0000, if any. */
const findNul = (value: unknown, path: string): string | undefined => {
  if (typeof value === "string") return value.includes("\u0000") ? path : undefined;
  if (value === null || typeof value !== "object") return undefined;
  for (const [key, item] of Object.entries(value)) {
    const found = key.includes("\u0000") ? `${path}.${key}` : findNul(item, `${path}.${key}`);
    if (found) return found;
  }
  return undefined;
};

/**
 * PostgreSQL text cannot hold U+0000 (SQLite's can): refuse such an event as bad input naming the
 * field, before the transaction, instead of a server error from inside it. JSON.stringify writes
 * the character as an escape, so only an event whose JSON has one needs the walk.
 */
const refuseNul = (e: PreparedEvent, index: number): PreparedEvent => {
  const path =
    (e.dataJson.includes("\\u0000") ? findNul(e.data, "data") : undefined) ??
    (e.metadataJson.includes("\\u0000") ? findNul(e.metadata, "metadata") : undefined);
  if (path)
    throw eventError(
      "INVALID_EVENT",
      { index, type: e.type },
      `${path}: contains U+0000, which PostgreSQL text cannot hold`,
      { path },
    );
  return e;
};

/** The refusal to append to a log that lost a guard trigger: nothing would stop an UPDATE or DELETE of it. */
const guardsMissing = async (pool: Pool, url: string): Promise<StoreError | undefined> => {
  const { rows } = await pool.query<{ name: string }>(
    `SELECT tgname AS name FROM pg_trigger WHERE tgrelid = to_regclass('events') AND NOT tgisinternal`,
  );
  const missing = POSTGRES_LOG_GUARDS.filter((g) => !rows.some((r) => r.name === g));
  return missing.length === 0
    ? undefined
    : new StoreError(
        "LOG_UNGUARDED",
        `the event log of ${redactedUrl(url)} has lost its guard trigger(s) ${missing.join(", ")}: appends are refused ` +
          "(reading still works); re-create them from db/migrations/postgres",
        { url: redactedUrl(url), missing },
      );
};

/**
 * The projections whose tables this code did not build up to the log's head (the SQLite store's
 * stale check): "warn" (default) reports them through onWarning, "refuse" throws STALE_PROJECTIONS.
 */
const checkStale = async (pool: Pool, url: string, options: OpenAsyncStoreOptions): Promise<void> => {
  const mode = options.stale ?? "warn";
  if (mode === "ignore") return;
  const { rows } = await pool.query<{ projection: string; fingerprint: string; position: number; head: number }>(
    `SELECT projection, fingerprint, position, (SELECT coalesce(max(position), 0) FROM events) AS head FROM projection_state`,
  );
  const head = rows[0]?.head ?? 0;
  const why = POSTGRES_PROJECTIONS.flatMap((name) => {
    const row = rows.find((r) => r.projection === name);
    if (!row) return [`${name} (no record of the code that built it)`];
    if (row.fingerprint !== postgresFingerprint(name)) return [`${name} (built by other projection code)`];
    if (row.position !== head) return [`${name} (at log position ${row.position}, the log is at ${head})`];
    return [];
  });
  if (why.length === 0) return;
  const where = redactedUrl(url);
  const message = `projection tables of ${where} are stale: ${why.join("; ")}: run \`npx artist-store rebuild --db ${where}\``;
  if (mode === "refuse") throw new StoreError("STALE_PROJECTIONS", message, { url: where, stale: why });
  (options.onWarning ?? console.warn)(`ai-artist-store: ${message}`);
};

/** Every failure of a call leaves as one StoreError. */
const guarded =
  <A extends unknown[], R>(url: string, fn: (...args: A) => Promise<R>) =>
  async (...args: A): Promise<R> => {
    try {
      return await fn(...args);
    } catch (e) {
      throw asPostgresFailure(e, url);
    }
  };

/**
 * Open the store on the PostgreSQL database a postgres:// URL names: a pool of connections,
 * refusing a database whose migrations are pending or unknown.
 * @example const store = await openPostgresStore("postgres://app@db/artist", { migrate: true });
 */
export const openPostgresStore = async (url: string, options: OpenAsyncStoreOptions = {}): Promise<AsyncStore> => {
  if (options.migrate) runPostgresDbmate(url, ["up"]);
  const pool = openPool(url, options.maxConnections);
  let unguarded: StoreError | undefined;
  try {
    await assertPostgresSchemaCurrent(pool, url);
    unguarded = await guardsMissing(pool, url);
    await claimEmptyStore(pool);
    await checkStale(pool, url, options);
  } catch (e) {
    await pool.end();
    throw asPostgresFailure(e, url);
  }
  const clock = options.clock ?? (() => new Date());
  const appendPrepared = createPostgresAppender(pool, clock);
  const write = guarded(url, (events: readonly PreparedEvent[]) => {
    if (unguarded) throw unguarded;
    return appendPrepared(events);
  });
  const prepare = (events: readonly unknown[]): PreparedEvent[] =>
    events.map((e, i) => refuseNul(prepareEvent(e, i, clock, options.producer), i));
  const append = (events: readonly NewEvent[]): Promise<AppendedEvent[]> => {
    try {
      return write(prepare(events));
    } catch (e) {
      return Promise.reject(e);
    }
  };
  const appendUnknown = (events: readonly unknown[]): Promise<AppendedEvent[]> => {
    // Untyped callers may pass anything: refuse a non-list as bad input, not with a TypeError.
    if (!Array.isArray(events))
      return Promise.reject(
        new StoreError(
          "INVALID_EVENT",
          `expected a list of events, received ${events === null ? "null" : typeof events}`,
          {},
        ),
      );
    return append(events);
  };
  const emitOne =
    <T extends EventType>(type: T) =>
    async (data: EventInput[T], emitOptions: EmitOptions = {}): Promise<AppendedEvent> => {
      const [appended] = await write(prepare([{ ...emitOptions, type, data }]));
      if (!appended) throw new Error("append of one event returned nothing");
      return appended;
    };
  const emit: AsyncEmitters = {
    imageGenerated: emitOne("ImageGenerated"),
    imageCurated: emitOne("ImageCurated"),
    trainingStarted: emitOne("TrainingStarted"),
    trainingCompleted: emitOne("TrainingCompleted"),
    trainingFailed: emitOne("TrainingFailed"),
    batchStarted: emitOne("BatchStarted"),
    batchFinished: emitOne("BatchFinished"),
  };
  const log = createPostgresLogReader(pool);
  const queries = createPostgresQueries(pool);
  let closed = false;
  return {
    backend: "postgres",
    append,
    appendUnknown,
    emit,
    readStream: guarded(url, log.readStream),
    readAll: guarded(url, log.readAll),
    headPosition: guarded(url, log.headPosition),
    queries: {
      recentHighQualityImages: guarded(url, queries.recentHighQualityImages),
      uncuratedImages: guarded(url, queries.uncuratedImages),
      qualityDistribution: guarded(url, queries.qualityDistribution),
      trainingSessionStatistics: guarded(url, queries.trainingSessionStatistics),
      dailyCreationStatistics: guarded(url, queries.dailyCreationStatistics),
    },
    close: async () => {
      if (closed) return;
      closed = true;
      await pool.end();
    },
  };
};
