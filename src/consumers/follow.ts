import { z } from "zod";
import { StoreError } from "../db/errors.js";
import { messageOf } from "../db/sqliteErrors.js";
import type { StoredEvent } from "../events/envelope.js";
import type { Store } from "../store/openStore.js";
import { createCheckpoints } from "./checkpoints.js";
import { createLease } from "./lease.js";
import { type ConsumerOptions, noteIgnoredStart, parseConsumerOptions } from "./options.js";
import { createBatchReader } from "./readBatch.js";
import { createWakeup } from "./wakeup.js";

/**
 * How `followConsumer` delivers: with acknowledgements (at-least-once, a bounded window of
 * unacknowledged lines) or without (at-most-once), and whether it stops at the head.
 * @example followConsumer(store, { name: "uploader", types: ["ImageCurated"], window: 100 }, io)
 */
export interface FollowOptions extends ConsumerOptions {
  /** Wait for acknowledgements (default true). False: at-most-once, the checkpoint moves before each batch is written. */
  ack?: boolean;
  /** At most this many lines written and not yet acknowledged (default 1000). */
  window?: number;
  /** Stop once every event up to the head has been written (and, with acknowledgements, acknowledged). */
  untilHead?: boolean;
}

/**
 * Where the lines go and where the acknowledgements come from.
 * @example { write: (line) => process.stdout.write(line) ? undefined : once(process.stdout, "drain"), acks: readline }
 */
export interface FollowIo {
  /** Write one line, newline included; return a promise while the reader is slow (the next line waits for it). */
  write(line: string): undefined | Promise<unknown>;
  /** Acknowledgement lines, `{"ack": POSITION}` each (stdin). Required with acknowledgements; their end means stop. */
  acks?: AsyncIterable<string>;
}

/**
 * How a follow ended.
 * @example const { position, sent, stopped } = await followConsumer(store, options, io);
 */
export interface FollowResult {
  name: string;
  holder: string;
  /** The durable checkpoint at the end. */
  position: number;
  /** Event lines written. */
  sent: number;
  /** Acknowledgements that moved the checkpoint. */
  acked: number;
  /** "input closed": the acknowledgements ended; "aborted": the signal; "head": caught up with untilHead. */
  stopped: "input closed" | "aborted" | "head";
}

/** An event as one line: the shape `artist-store events` prints (the stored event as JSON). */
const eventLine = (e: StoredEvent): string => `${JSON.stringify(e)}\n`;

const Ack = z.strictObject({ ack: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER) });

const badAck = (line: number, reason: string, details: Record<string, unknown> = {}): StoreError =>
  new StoreError("INVALID_ACK", `ack line ${line}: ${reason}`, { line, ...details });

const parseAck = (text: string, line: number): number => {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw badAck(line, `not valid JSON: ${messageOf(e)}`);
  }
  const parsed = Ack.safeParse(json);
  if (!parsed.success) {
    const shown = text.length > 60 ? `${text.slice(0, 60)}…` : text;
    throw badAck(line, `expected {"ack": POSITION} with POSITION a whole number, got ${shown}`);
  }
  return parsed.data.ack;
};

/** Where `position` is in the ascending list `positions`, or -1. */
const indexOf = (positions: readonly number[], position: number): number => {
  let lo = 0;
  let hi = positions.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const p = positions[mid] ?? Number.NaN;
    if (p === position) return mid;
    if (p < position) lo = mid + 1;
    else hi = mid - 1;
  }
  return -1;
};

/** A few positions, for a message. */
const some = (positions: readonly number[]): string =>
  positions.length <= 5 ? positions.join(", ") : `${positions.slice(0, 3).join(", ")}, … ${positions.at(-1)}`;

/**
 * `artist-store follow` as a function: write the consumer's events as JSON lines and move its
 * checkpoint on acknowledgements (`{"ack": POSITION}` makes that position and all before it
 * durable; the answer `{"acked": POSITION}` is written once it is). Never more than `window`
 * lines are unacknowledged. A bad acknowledgement (not JSON, not a position sent, beyond the
 * last sent, backwards) rejects with INVALID_ACK and leaves the checkpoint where the previous
 * one put it. Resolves when the acknowledgements end, the signal aborts, or at the head.
 * @example await followConsumer(store, { name: "uploader" }, { write: (l) => void process.stdout.write(l), acks: rl });
 */
export const followConsumer = async (store: Store, options: FollowOptions, io: FollowIo): Promise<FollowResult> => {
  const o = parseConsumerOptions(options);
  const ack = options.ack ?? true;
  const window = options.window ?? 1000;
  if (!Number.isSafeInteger(window) || window < 1 || window > 1_000_000)
    throw new StoreError("INVALID_ARGUMENT", `window must be an integer from 1 to 1000000, got ${window}`, { window });
  const acks = io.acks;
  if (ack && acks === undefined)
    throw new StoreError("INVALID_ARGUMENT", "following with acknowledgements needs an input of acknowledgements", {});
  const checkpoints = createCheckpoints(store.db);
  const read = createBatchReader(store.db, { types: o.types, streamPrefix: o.streamPrefix });
  const ensured = checkpoints.ensure(o.name, o.from);
  // A follower keeps its connection for hours: the refresh SQLite recommends for long-lived connections.
  store.keepStatisticsFresh();
  noteIgnoredStart(options, ensured, o.onWarning);
  const lease = createLease(checkpoints, o.name, o.holder, o.leaseMs);
  const wakeup = createWakeup(store.path);
  const stop = new AbortController();
  const onAbort = () => stop.abort();
  o.signal?.addEventListener("abort", onAbort, { once: true });
  if (o.signal?.aborted) stop.abort();
  const result: FollowResult = {
    name: o.name,
    holder: o.holder,
    position: ensured.row.position,
    sent: 0,
    acked: 0,
    stopped: "aborted",
  };
  let failure: unknown;
  const fail = (e: unknown) => {
    failure ??= e;
    stop.abort();
  };
  const stopped = new Promise<void>((resolve) =>
    stop.signal.addEventListener("abort", () => resolve(), { once: true }),
  );
  /** A write that gives way to a stop: with acknowledgements an unwritten line is simply not acknowledged. */
  const writeOrStop = async (line: string) => {
    const pending = io.write(line);
    if (pending) await Promise.race([pending, stopped]);
  };
  /** Positions written and not yet acknowledged, in order. */
  let unacked: number[] = [];
  let lastSent: number | undefined;

  const onAck = async (position: number, line: number) => {
    if (position === result.position) return writeOrStop(`${JSON.stringify({ acked: position })}\n`);
    if (position < result.position)
      throw badAck(line, `ack ${position} goes backwards: position ${result.position} is already acknowledged`, {
        ack: position,
        acknowledged: result.position,
      });
    if (lastSent === undefined || position > lastSent)
      throw badAck(
        line,
        lastSent === undefined || lastSent <= result.position
          ? `ack ${position} is beyond what was sent: nothing is awaiting acknowledgement`
          : `ack ${position} is beyond the last position sent (${lastSent})`,
        { ack: position, lastSent },
      );
    const index = indexOf(unacked, position);
    if (index < 0)
      throw badAck(
        line,
        `ack ${position} is not the position of an event sent; awaiting acknowledgement: ${some(unacked)}`,
        { ack: position },
      );
    lease.advance(result.position, position);
    lease.renewed();
    result.position = position;
    result.acked++;
    unacked = unacked.slice(index + 1);
    wakeup.wake();
    await writeOrStop(`${JSON.stringify({ acked: position })}\n`);
  };

  const readAcks = async (input: AsyncIterable<string>) => {
    let line = 0;
    for await (const text of input) {
      line++;
      if (stop.signal.aborted) return;
      if (text.trim() === "") continue;
      await onAck(parseAck(text, line), line);
    }
    if (!stop.signal.aborted) result.stopped = "input closed";
    stop.abort();
  };

  const idle = () => wakeup.wait(Math.min(o.pollMs, lease.msUntilRenewal()), stop.signal);

  const sendWithAcks = async () => {
    let after = result.position;
    while (!stop.signal.aborted) {
      lease.renewIfDue();
      const room = window - unacked.length;
      if (room <= 0) {
        await idle();
        continue;
      }
      const batch = read(after, Math.min(room, o.batchSize));
      for (const e of batch.events) {
        unacked.push(e.position);
        lastSent = e.position;
        result.sent++;
        await writeOrStop(eventLine(e));
        if (stop.signal.aborted) return;
      }
      after = batch.through;
      if (batch.events.length > 0) continue;
      if (options.untilHead && batch.through >= batch.head && unacked.length === 0) {
        result.stopped = "head";
        return;
      }
      await idle();
    }
  };

  // At-most-once: the checkpoint moves before the batch is written, so a crash loses lines, never repeats them.
  const sendWithoutAcks = async () => {
    while (!stop.signal.aborted) {
      lease.renewIfDue();
      const batch = read(result.position, o.batchSize);
      if (batch.through > result.position) {
        lease.advance(result.position, batch.through);
        lease.renewed();
        result.position = batch.through;
      }
      for (const e of batch.events) {
        result.sent++;
        await io.write(eventLine(e));
      }
      if (batch.events.length > 0) continue;
      if (options.untilHead && batch.through >= batch.head) {
        result.stopped = "head";
        return;
      }
      await idle();
    }
  };

  let holding = false;
  // Renewed on a timer too: a write that waits for a slow reader must not let the lease lapse.
  let renewal: NodeJS.Timeout | undefined;
  try {
    holding = await lease.acquire(wakeup, stop.signal, o.onWarning);
    if (!holding) return result;
    renewal = setInterval(
      () => {
        try {
          lease.renewIfDue();
        } catch (e) {
          fail(e);
        }
      },
      Math.max(1, Math.floor(o.leaseMs / 6)),
    );
    result.position = checkpoints.mustGet(o.name).position;
    if (ack && acks) readAcks(acks).catch(fail);
    await (ack ? sendWithAcks() : sendWithoutAcks()).catch(fail);
    if (failure !== undefined) throw failure;
    return result;
  } finally {
    clearInterval(renewal);
    stop.abort();
    o.signal?.removeEventListener("abort", onAbort);
    wakeup.close();
    if (holding) lease.release();
  }
};
