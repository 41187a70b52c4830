import { existsSync } from "node:fs";
import { type Db, openConnection } from "../db/connection.js";
import { createDamageGuard } from "../db/damage.js";
import { StoreError } from "../db/errors.js";
import { assertSchemaCurrent } from "../db/migrations.js";
import { cliCommand, databasePath, databasePathFromEnv } from "../db/paths.js";
import { asWriteFailure, withBusyRetry } from "../db/sqliteErrors.js";
import { keepStatisticsFresh, optimizeBeforeClose, refreshStatistics } from "../db/statistics.js";
import { createAppender } from "../events/appendToStream.js";
import { migrateDatabase } from "../events/backfillChain.js";
import { missingGuards } from "../events/chain.js";
import type { AppendedEvent, NewEvent, StoredEvent } from "../events/envelope.js";
import { prepareEvent } from "../events/prepareEvent.js";
import { createLogReader, type LogReader } from "../events/readEvents.js";
import type { EventInput, EventType } from "../events/schemas.js";
import { createProjector } from "../projections/index.js";
import { createProjectionState, describeStale, type ProjectionStatus } from "../projections/projectionState.js";
import { createQueries, type Queries } from "../queries/index.js";

/**
 * How to open the store: the database, migrations, clock, producer and what to do with stale projections.
 * @example openStore({ url: "sqlite:data/ai_artist.db", producer: "curator", stale: "refuse" })
 */
export interface OpenStoreOptions {
  /** `sqlite:path` URL or a plain path. Default: `DATABASE_URL`, else `sqlite:data/ai_artist.db`. */
  url?: string;
  /** Apply pending dbmate migrations first (creating the file if needed). */
  migrate?: boolean;
  /**
   * A read-only connection (`query_only`): appends fail, nothing is written on open (the dashboard
   * uses it), unless `longLived` refreshes the planner's statistics.
   */
  readOnly?: boolean;
  /** Where event times come from when the emitter gives none (tests pin it). */
  clock?: () => Date;
  /** Written into every event's metadata.producer unless the event names one. */
  producer?: string;
  busyTimeoutMs?: number;
  /**
   * When the projection tables were built by other projection code or lag the
   * log: "warn" (default) reports it through `onWarning` and opens; "refuse"
   * throws STALE_PROJECTIONS; "ignore" opens silently (rebuild itself uses it).
   */
  stale?: "warn" | "refuse" | "ignore";
  /** Where warnings go (default: console.warn). */
  onWarning?: (message: string) => void;
  /**
   * A process that keeps the store open for hours (serve): `keepStatisticsFresh()` from the start.
   * A read-only store refreshes them before its connection opens: SQLite loads statistics when a
   * connection reads the schema, so only then do its own queries plan with them.
   */
  longLived?: boolean;
}

/**
 * Envelope options of a single emitted event.
 * @example store.emit.imageCurated({ filename: "a.png", status: "curated" }, { expectedVersion: 1, id: "curate-a-1" })
 */
export type EmitOptions = Omit<NewEvent, "type" | "data">;

/**
 * One typed emitter per event type, named after it in camelCase (ImageGenerated: `imageGenerated`).
 * @example store.emit.imageGenerated({ filename: "a.png", prompt: "a fox", modelId: "sdxl" })
 */
export type Emitters = {
  [T in EventType as Uncapitalize<T>]: (data: EventInput[T], options?: EmitOptions) => AppendedEvent;
};

/**
 * One write transaction around many appends, for input too large to hold at once
 * (`emit --atomic` streams a file into it). Each append inside it is a SAVEPOINT through
 * the same validation and projections as `store.append`: a refused append undoes only
 * itself. Nothing is visible to other connections until `commit()`.
 * @example const tx = store.beginTransaction(); try { tx.append(a); tx.append(b); tx.commit(); } finally { tx.rollback(); }
 */
export interface StoreTransaction {
  append(events: readonly NewEvent[]): AppendedEvent[];
  appendUnknown(events: readonly unknown[]): AppendedEvent[];
  /** Make every append of the transaction durable, at once. */
  commit(): void;
  /** Undo every append of the transaction; nothing happens once it has ended. */
  rollback(): void;
}

/**
 * An open event store: typed emitters, batch append, the log, the five queries.
 * @example const store: Store = openStore(); store.emit.batchStarted({ batchId: "b1" }); store.close();
 */
export interface Store {
  /** Absolute path of the database file. */
  readonly path: string;
  /** The underlying connection, for operators' tooling (doctor, rebuild, audit). */
  readonly db: Db;
  readonly clock: () => Date;
  append(events: readonly NewEvent[]): AppendedEvent[];
  appendUnknown(events: readonly unknown[]): AppendedEvent[];
  /**
   * Begin one write transaction (BEGIN IMMEDIATE) for appends that arrive over time. While it
   * is open, `append`, `appendUnknown` and `emit` refuse: only the transaction's own appends join it.
   */
  beginTransaction(): StoreTransaction;
  readonly emit: Emitters;
  readStream: LogReader["readStream"];
  readAll: LogReader["readAll"];
  iterateAll: LogReader["iterateAll"];
  headPosition: LogReader["headPosition"];
  /** Whether each projection's tables were built by this code and reached the log's head. */
  projectionStatus(): ProjectionStatus[];
  readonly queries: Queries;
  /**
   * For a process that keeps the store open (serve, follow, emit --follow, a consumer): refresh the
   * planner's statistics now and every hour until close (docs/operations.md#planner-statistics).
   * Best effort; a read-only store refreshes them through a short-lived writable connection, which
   * its own connection does not see until it is opened again (`longLived` refreshes before). Idempotent.
   */
  keepStatisticsFresh(): void;
  /** Close the connection; a writable one first runs `PRAGMA optimize`, as SQLite recommends. */
  close(): void;
}

/**
 * Open the event store: one connection with the store's pragmas, refusing a
 * database whose migrations are pending or unknown, and warning (or, with
 * `stale: "refuse"`, refusing) when its projection tables are stale.
 * @example const store = openStore({ url: "sqlite:data/ai_artist.db", migrate: true });
 */
export const openStore = (options: OpenStoreOptions = {}): Store => {
  const path = options.url ? databasePath(options.url) : databasePathFromEnv();
  if (options.migrate && options.readOnly)
    throw new StoreError("INVALID_ARGUMENT", "openStore: a read-only store cannot migrate", { path });
  if (options.migrate) migrateDatabase(path);
  else if (!existsSync(path))
    throw new StoreError(
      "SCHEMA_MISSING",
      `database ${path} does not exist: run \`${cliCommand("migrate", path)}\` (or openStore({ migrate: true }))`,
      { path },
    );
  if (options.longLived && options.readOnly) refreshThroughWriter(path);
  const db: Db = openConnection(path, { busyTimeoutMs: options.busyTimeoutMs, readonly: options.readOnly });
  let state: ReturnType<typeof createProjectionState>;
  let unguarded: StoreError | undefined;
  try {
    assertSchemaCurrent(db, path);
    unguarded = guardsMissing(path, missingGuards(db));
    state = createProjectionState(db);
    checkStale(path, state, options);
  } catch (e) {
    db.close();
    throw e;
  }
  const clock = options.clock ?? (() => new Date());
  const project = createProjector(db);
  // The checkpoint moves once per transaction, from the position before its first event to its last.
  let firstPosition: number | undefined;
  const appendInTransaction = createAppender(
    db,
    (event) => {
      firstPosition ??= event.position;
      project(event);
    },
    clock,
    { beforeCommit: (last) => state.advance((firstPosition ?? last) - 1, last) },
  );
  const damage = createDamageGuard(path);
  // The transaction begun by beginTransaction, while it is open.
  let open: object | undefined;
  const outside = (): void => {
    if (open)
      throw new StoreError(
        "INVALID_ARGUMENT",
        "this store has a transaction open (beginTransaction): append through it, or end it first",
        {},
      );
  };
  const write: typeof appendInTransaction = (prepared) => {
    if (unguarded) throw unguarded;
    if (options.readOnly)
      throw new StoreError("INVALID_ARGUMENT", `store ${path} was opened read-only: append refused`, { path });
    firstPosition = undefined;
    // A database found damaged is not appended to, even where the damage is out of this append's way.
    damage.assertIntact();
    try {
      return appendInTransaction(prepared);
    } catch (e) {
      throw damage.refusal(e) ?? asWriteFailure(e, path);
    }
  };
  const log = createLogReader(db);

  /**
   * Append events in one transaction: all are written and projected, or none.
   * @example store.append([{ type: "BatchStarted", data: { batchId: "b1", theme: "forests" } }])
   */
  const append = (events: readonly NewEvent[]): AppendedEvent[] => {
    outside();
    return write(events.map((e, i) => prepareEvent(e, i, clock, options.producer)));
  };

  /** Append events that arrive untyped (JSON lines, other languages): validated exactly as typed ones. */
  const appendUnknown = (events: readonly unknown[]): AppendedEvent[] => {
    outside();
    return writeUnknown(events);
  };
  const writeUnknown = (events: readonly unknown[]): AppendedEvent[] => {
    // Untyped callers may pass anything: refuse a non-list as bad input, not with a TypeError.
    if (!Array.isArray(events))
      throw new StoreError(
        "INVALID_EVENT",
        `expected a list of events, received ${events === null ? "null" : typeof events}`,
        {},
      );
    return write(events.map((e, i) => prepareEvent(e, i, clock, options.producer)));
  };

  const emitOne =
    <T extends EventType>(type: T) =>
    (data: EventInput[T], emitOptions: EmitOptions = {}): AppendedEvent => {
      outside();
      const [appended] = write([prepareEvent({ ...emitOptions, type, data }, 0, clock, options.producer)]);
      if (!appended) throw new Error("append of one event returned nothing");
      return appended;
    };

  const beginTransaction = (): StoreTransaction => {
    outside();
    try {
      withBusyRetry(() => db.exec("BEGIN IMMEDIATE"));
    } catch (e) {
      throw asWriteFailure(e, path);
    }
    const self = {};
    open = self;
    const live = (): void => {
      if (open !== self) throw new StoreError("INVALID_ARGUMENT", "this transaction has ended", {});
      // SQLite rolls a whole transaction back on some failures (a full disk): later appends must not commit alone.
      if (!db.inTransaction) {
        open = undefined;
        throw new StoreError(
          "INVALID_ARGUMENT",
          "SQLite rolled this transaction back after an earlier failure: nothing of it was written",
          {},
        );
      }
    };
    return {
      append: (events) => {
        live();
        return write(events.map((e, i) => prepareEvent(e, i, clock, options.producer)));
      },
      appendUnknown: (events) => {
        live();
        return writeUnknown(events);
      },
      commit: () => {
        live();
        open = undefined;
        try {
          db.exec("COMMIT");
        } catch (e) {
          if (db.inTransaction) db.exec("ROLLBACK");
          throw asWriteFailure(e, path);
        }
      },
      rollback: () => {
        if (open !== self) return;
        open = undefined;
        if (db.inTransaction) db.exec("ROLLBACK");
      },
    };
  };

  const emit: Emitters = {
    imageGenerated: emitOne("ImageGenerated"),
    imageCurated: emitOne("ImageCurated"),
    trainingStarted: emitOne("TrainingStarted"),
    trainingCompleted: emitOne("TrainingCompleted"),
    trainingFailed: emitOne("TrainingFailed"),
    batchStarted: emitOne("BatchStarted"),
    batchFinished: emitOne("BatchFinished"),
  };

  let stopRefreshing: (() => void) | undefined;
  const statisticsConnection = () => {
    if (!db.open) return undefined;
    return options.readOnly ? writerOf(path) : { db, done: () => {} };
  };
  if (options.longLived) stopRefreshing = keepStatisticsFresh(statisticsConnection, { now: !options.readOnly });

  return {
    path,
    db,
    clock,
    append,
    appendUnknown,
    beginTransaction,
    emit,
    ...log,
    projectionStatus: state.status,
    queries: createQueries(db),
    keepStatisticsFresh: () => {
      stopRefreshing ??= keepStatisticsFresh(statisticsConnection);
    },
    close: () => {
      stopRefreshing?.();
      if (db.open && !options.readOnly && !open) optimizeBeforeClose(db);
      db.close();
    },
  };
};
export type { StoredEvent };

/** The refusal to append to a log that lost a guard: without its triggers nothing stops an UPDATE or DELETE of the log. */
const guardsMissing = (path: string, missing: readonly string[]): StoreError | undefined =>
  missing.length === 0
    ? undefined
    : new StoreError(
        "LOG_UNGUARDED",
        `the event log of ${path} has lost its guard trigger(s) ${missing.join(", ")}: appends are refused ` +
          `(reading still works); run \`${cliCommand("verify", path)}\`, then re-create them from db/migrations or restore a backup`,
        { path, missing: [...missing] },
      );

const checkStale = (path: string, state: ReturnType<typeof createProjectionState>, options: OpenStoreOptions) => {
  if (!options.readOnly) state.claimEmptyStore();
  const mode = options.stale ?? "warn";
  if (mode === "ignore") return;
  const statuses = state.status();
  const message = describeStale(path, statuses);
  if (!message) return;
  if (mode === "refuse")
    throw new StoreError("STALE_PROJECTIONS", message, { path, stale: statuses.filter((s) => s.state !== "fresh") });
  (options.onWarning ?? console.warn)(`ai-artist-store: ${message}`);
};

/**
 * A short-lived writable connection for a read-only store's statistics (query_only cannot write
 * them), or undefined where the file or its folder cannot be written.
 */
const writerOf = (path: string): { db: Db; done: () => void } | undefined => {
  let writer: Db;
  try {
    writer = openConnection(path, { busyTimeoutMs: 0 });
  } catch (e) {
    if (e instanceof StoreError) return undefined;
    throw e;
  }
  return { db: writer, done: () => writer.close() };
};

const refreshThroughWriter = (path: string): void => {
  const writer = writerOf(path);
  if (!writer) return;
  try {
    refreshStatistics(writer.db);
  } finally {
    writer.done();
  }
};
