import type { Db } from "../db/connection.js";
import { StoreError } from "../db/errors.js";
import { withBusyRetry } from "../db/sqliteErrors.js";
import type { EventType } from "../events/schemas.js";
import type { Store } from "../store/openStore.js";
import { createCheckpoints } from "./checkpoints.js";
import { createLease, type Lease } from "./lease.js";
import { type ConsumerOptions, noteIgnoredStart, type ParsedOptions, parseConsumerOptions } from "./options.js";
import { type Batch, createBatchReader, type EventOf } from "./readBatch.js";
import { createWakeup } from "./wakeup.js";

/**
 * What a handler is told about its batch.
 * @example handle: async (events, { through, signal }) => upload(events, { signal })
 */
export interface BatchContext {
  consumer: string;
  /** The checkpoint before this batch. */
  from: number;
  /** Where the checkpoint moves once the batch is handled (past the batch's filtered-out events too). */
  through: number;
  /** Aborts when the run is asked to stop or the lease is lost: a handler may give up the batch (it is delivered again). */
  signal: AbortSignal;
}

/**
 * A transactional handler's context: the store's connection, inside the transaction that moves the checkpoint.
 * @example handleInTransaction: (events, { db }) => { for (const e of events) insert.run(e.data.filename); }
 */
export interface TransactionContext extends BatchContext {
  db: Db;
}

/**
 * A consumer with its handler. `handle` is at-least-once: it may do anything (async), and the
 * checkpoint moves after it resolves; after a crash its unacknowledged batch comes again.
 * `handleInTransaction` is exactly-once in effect: it runs synchronously inside the
 * transaction that moves the checkpoint, so its writes to this database and the checkpoint
 * commit together or not at all.
 * @example runConsumer(store, { name: "thumbnailer", types: ["ImageCurated"], handle: async (events) => { ... } })
 */
export type RunConsumerOptions<T extends EventType = EventType> = ConsumerOptions<T> & {
  /** Resolve once the consumer has caught up with the log's head, instead of waiting for more. */
  stopAtHead?: boolean;
  /** Called after each checkpoint is committed, with the new position. */
  onCheckpoint?: (position: number) => void;
} & (
    | {
        handle: (events: EventOf<T>[], context: BatchContext) => void | Promise<void>;
        handleInTransaction?: undefined;
      }
    | { handleInTransaction: (events: EventOf<T>[], context: TransactionContext) => void; handle?: undefined }
  );

/**
 * How a run ended: where the checkpoint is, what was delivered, and why it stopped.
 * @example const { position, delivered } = await runConsumer(store, { name: "x", stopAtHead: true, handle });
 */
export interface ConsumerRunResult {
  name: string;
  holder: string;
  /** The checkpoint when the run ended. */
  position: number;
  /** Events handled and checkpointed by this run. */
  delivered: number;
  batches: number;
  /** "aborted": the signal; "head": caught up with stopAtHead. */
  stopped: "aborted" | "head";
}

const isThenable = (value: unknown): boolean =>
  typeof value === "object" && value !== null && "then" in value && typeof value.then === "function";

/** Run one batch in the transaction that moves the checkpoint: its writes and the checkpoint, or neither. */
const transactional = <T extends EventType>(
  store: Store,
  lease: Lease,
  handler: (events: EventOf<T>[], context: TransactionContext) => void,
  name: string,
) => {
  const deliver = store.db.transaction((batch: Batch<T>, from: number, signal: AbortSignal) => {
    const result: unknown = handler(batch.events, {
      consumer: name,
      from,
      through: batch.through,
      signal,
      db: store.db,
    });
    if (isThenable(result))
      throw new StoreError(
        "INVALID_ARGUMENT",
        `consumer ${name}: handleInTransaction returned a promise; it must be synchronous ` +
          "(a transaction cannot stay open across an await): use handle for async work",
        { name },
      );
    lease.advance(from, batch.through);
  });
  return (batch: Batch<T>, from: number, signal: AbortSignal): void => {
    withBusyRetry(() => deliver.immediate(batch, from, signal));
    lease.renewed();
  };
};

/**
 * Run an at-least-once batch: the lease is renewed while the handler works; the checkpoint moves
 * only if it resolves and the lease is still ours. Returns false when the batch was abandoned
 * because the run was asked to stop (the handler gave up): it is delivered again next time.
 */
const atLeastOnce = async <T extends EventType>(
  o: ParsedOptions<T>,
  lease: Lease,
  handler: (events: EventOf<T>[], context: BatchContext) => void | Promise<void>,
  batch: Batch<T>,
  from: number,
): Promise<boolean> => {
  const batchAbort = new AbortController();
  let lost: unknown;
  const stop = () => batchAbort.abort(o.signal?.reason);
  o.signal?.addEventListener("abort", stop, { once: true });
  const renewal = setInterval(
    () => {
      try {
        lease.renewIfDue();
      } catch (e) {
        lost ??= e;
        batchAbort.abort(e);
      }
    },
    Math.max(1, Math.floor(o.leaseMs / 6)),
  );
  try {
    await handler(batch.events, { consumer: o.name, from, through: batch.through, signal: batchAbort.signal });
  } catch (e) {
    if (lost !== undefined) throw lost;
    if (o.signal?.aborted) return false;
    throw e;
  } finally {
    clearInterval(renewal);
    o.signal?.removeEventListener("abort", stop);
  }
  if (lost !== undefined) throw lost;
  lease.advance(from, batch.through);
  lease.renewed();
  return true;
};

/**
 * Follow the log as the named consumer: take its lease (waiting while another process holds
 * it), then deliver the events after its checkpoint in position order, batch by batch, and move
 * the checkpoint after each. Waits for new events without spinning (a file watch, a slow poll
 * behind it); stops between batches when `signal` aborts, or at the head with `stopAtHead`.
 * Rejects with the handler's error (the batch is not checkpointed) or LEASE_LOST.
 * @example await runConsumer(store, { name: "notifier", types: ["TrainingFailed"], signal, handle: async (events) => notify(events) });
 */
export const runConsumer = async <T extends EventType = EventType>(
  store: Store,
  options: RunConsumerOptions<T>,
): Promise<ConsumerRunResult> => {
  const o = parseConsumerOptions(options);
  const { handle, handleInTransaction } = options;
  if ((handle === undefined) === (handleInTransaction === undefined))
    throw new StoreError("INVALID_ARGUMENT", `consumer ${o.name}: give exactly one of handle and handleInTransaction`, {
      name: o.name,
    });
  const checkpoints = createCheckpoints(store.db);
  const read = createBatchReader(store.db, { types: o.types, streamPrefix: o.streamPrefix });
  const ensured = checkpoints.ensure(o.name, o.from);
  // A consumer keeps its connection for hours: the refresh SQLite recommends for long-lived connections.
  store.keepStatisticsFresh();
  noteIgnoredStart(options, ensured, o.onWarning);
  const lease = createLease(checkpoints, o.name, o.holder, o.leaseMs);
  const inTransaction = handleInTransaction && transactional(store, lease, handleInTransaction, o.name);
  const wakeup = createWakeup(store.path);
  const result: ConsumerRunResult = {
    name: o.name,
    holder: o.holder,
    position: ensured.row.position,
    delivered: 0,
    batches: 0,
    stopped: "aborted",
  };
  let holding = false;
  try {
    holding = await lease.acquire(wakeup, o.signal, o.onWarning);
    if (!holding) return result;
    result.position = checkpoints.mustGet(o.name).position;
    const never = new AbortController().signal;
    for (;;) {
      if (o.signal?.aborted) return result;
      lease.renewIfDue();
      const batch = read(result.position, o.batchSize);
      if (batch.events.length === 0) {
        if (batch.through > result.position) {
          lease.advance(result.position, batch.through);
          lease.renewed();
          result.position = batch.through;
          options.onCheckpoint?.(result.position);
        }
        if (options.stopAtHead && batch.through >= batch.head) {
          result.stopped = "head";
          return result;
        }
        await wakeup.wait(Math.min(o.pollMs, lease.msUntilRenewal()), o.signal);
        continue;
      }
      if (inTransaction) inTransaction(batch, result.position, o.signal ?? never);
      else if (handle && !(await atLeastOnce(o, lease, handle, batch, result.position))) return result;
      result.position = batch.through;
      result.delivered += batch.events.length;
      result.batches++;
      options.onCheckpoint?.(result.position);
    }
  } finally {
    wakeup.close();
    if (holding) lease.release();
  }
};
