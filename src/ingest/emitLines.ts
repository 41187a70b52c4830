import { messageNamingEvent, StoreError } from "../db/errors.js";
import { errorCode, messageOf } from "../db/sqliteErrors.js";
import type { AppendedEvent } from "../events/envelope.js";
import { prepareEvent } from "../events/prepareEvent.js";
import type { Store, StoreTransaction } from "../store/openStore.js";
import { parseJsonLine } from "./jsonLine.js";
import { type LineInput, lineText } from "./lines.js";
import { isStoredShape, storedToEnvelope } from "./storedEvent.js";

/** A line the store refused: its number, the StoreError code, and a message that names the line. */
export interface Rejection {
  line: number;
  code: string;
  message: string;
}
/**
 * What followLines acknowledges for each line: the appended event, or the rejection.
 * @example await followLines(store, lines, (r) => { if (!r.ok) console.error(r.message); });
 */
export type LineResult = { line: number; ok: true; appended: AppendedEvent } | ({ ok: false } & Rejection);

/** The store's messages name an event by its index in one append; a line report names its line instead. */
const reject = (line: number, e: unknown): Rejection => {
  if (e instanceof StoreError) return { line, code: e.code, message: messageNamingEvent(e, `line ${line}`) };
  throw e;
};

/** `array`: the line is (or opens) a JSON array, as `events --json` prints. */
type Refused = { ok: false; array?: true } & Rejection;
type Parsed = { line: number; ok: true; envelope: unknown } | Refused;

const malformed = (line: number, reason: string): Refused => ({
  ok: false,
  line,
  code: "MALFORMED_JSON",
  message: `line ${line}: ${reason}`,
});
const invalid = (line: number, reason: string): Refused => ({
  ok: false,
  line,
  code: "INVALID_EVENT",
  message: `line ${line}: ${reason}`,
});

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

/** What `events --json` prints, one array over many lines: not JSON lines, whichever line of it is read. */
const ARRAY_INPUT =
  "a JSON array, as `events --json` prints: emit reads JSON lines, one event object per line (`events --nl` prints them)";

/** The line is, or opens, a JSON array (the first line of `events --json` is a lone "["). */
const opensArray = (raw: LineInput, line: number): boolean => {
  const decoded = lineText(raw, line);
  return decoded.ok && decoded.text.trimStart().startsWith("[");
};

/**
 * A line's JSON and its own fields (streamVersion; a stored event's eventId, streamId and
 * schemaVersion); the event itself is validated by the append, or by `validate`. Undefined for a
 * blank line.
 */
const parseLine = (raw: LineInput, line: number): Parsed | undefined => {
  const parsed = parseJsonLine(raw, line);
  if (parsed === undefined) return undefined;
  if (!parsed.ok)
    return opensArray(raw, line) ? { ...malformed(line, ARRAY_INPUT), array: true } : malformed(line, parsed.reason);
  const { json } = parsed;
  if (Array.isArray(json)) return { ...invalid(line, ARRAY_INPUT), array: true };
  if (!isObject(json)) return invalid(line, 'expected a JSON object {"type", "data", ...}');
  if (isStoredShape(json)) {
    const stored = storedToEnvelope(json);
    return stored.ok ? { line, ok: true, envelope: stored.envelope } : invalid(line, stored.reason);
  }
  if (!Object.hasOwn(json, "streamVersion")) return { line, ok: true, envelope: json };
  // A rest copy keeps every other own key as it is, __proto__ included, for the append to judge.
  const { streamVersion, ...rest } = json;
  if (typeof streamVersion !== "number" || !Number.isSafeInteger(streamVersion) || streamVersion < 1)
    return invalid(line, "streamVersion: expected an integer >= 1 (the version the event will have in its stream)");
  if (rest.expectedVersion !== undefined) return invalid(line, "give streamVersion or expectedVersion, not both");
  return { line, ok: true, envelope: { ...rest, expectedVersion: streamVersion - 1 } };
};

/** The input's first line is a JSON array: it is not JSON lines at all, so the run stops there, having written nothing. */
const refuseArrayInput = (parsed: Parsed): void => {
  if (!parsed.ok && parsed.array)
    throw new StoreError("INVALID_ARGUMENT", parsed.message, { line: parsed.line, code: parsed.code });
};

/** The rejection the store would give this line whatever its state (a bad payload, an unknown type), if any. */
const validate = (envelope: unknown, line: number, clock: () => Date): Rejection | undefined => {
  try {
    prepareEvent(envelope, 0, clock);
    return undefined;
  } catch (e) {
    return reject(line, e);
  }
};

/**
 * Parse and validate one JSON line (text, or bytes as read) into the envelope `store.append` takes.
 * Returns a rejection (never throws) for a blank line, malformed JSON or an invalid event.
 * @example checkLine('{"type":"BatchStarted","data":{"batchId":"b1"}}', 1, store.clock)
 */
export const checkLine = (raw: LineInput, line: number, clock: () => Date): Parsed => {
  const parsed = parseLine(raw, line) ?? malformed(line, "not valid JSON: the line is blank");
  if (!parsed.ok) return parsed;
  const invalid = validate(parsed.envelope, line, clock);
  return invalid ? { ok: false, ...invalid } : parsed;
};

/**
 * What emitLines did with its input: lines read, events accepted (duplicates counted), lines refused.
 * @example const { accepted, rejected } = await emitLines(store, lines);
 */
export interface EmitReport {
  lines: number;
  accepted: number;
  duplicates: number;
  rejected: Rejection[];
  /** Positions of the first and last new event (duplicates keep their old positions). */
  firstPosition: number | null;
  lastPosition: number | null;
}

/** A report of no lines yet. */
export const emptyReport = (): EmitReport => ({
  lines: 0,
  accepted: 0,
  duplicates: 0,
  rejected: [],
  firstPosition: null,
  lastPosition: null,
});

/** Count what one append returned: events accepted, duplicates among them, the range of new positions. */
export const recordAppended = (report: EmitReport, appended: readonly AppendedEvent[]): void => {
  for (const a of appended) {
    report.accepted++;
    if (a.duplicate) report.duplicates++;
    else {
      report.firstPosition ??= a.position;
      report.lastPosition = a.position;
    }
  }
};

/**
 * How emitLines groups lines into transactions.
 * @example await emitLines(store, lines, { atomic: true })
 */
export interface EmitLinesOptions {
  /**
   * All lines in one transaction, or none. The lines stream through it a batch at a time
   * (memory holds a batch, not the input), and it holds the write lock from the first
   * batch to the last line: feed it from a file, not from a slow producer.
   */
  atomic?: boolean;
  /** Events per transaction (default 500); with `atomic`, per savepoint of the one transaction. */
  batchSize?: number;
}

/**
 * Append JSON lines (text, or bytes as read: see byteLines) to the store in batched transactions. A batch that fails loses
 * its invalid lines and is tried again, then line by line if the store still refuses
 * it, so one bad line never takes its good neighbours down and is never half-written.
 * With `atomic`, any bad line means nothing is written: the first one, whatever makes
 * it bad (its JSON, its schema, the log's state), rolls the transaction back and is
 * reported, and every later line is still checked on its own (JSON, schema) and
 * reported if bad.
 * @example const report = await emitLines(store, readline.createInterface({ input: process.stdin }));
 */
export const emitLines = async (
  store: Store,
  lines: AsyncIterable<LineInput>,
  options: EmitLinesOptions = {},
): Promise<EmitReport> => {
  const batchSize = options.batchSize ?? 500;
  const report = emptyReport();
  const record = (appended: readonly AppendedEvent[]) => recordAppended(report, appended);
  // A failure that is not about the line (the lock stayed taken, the disk is full) stops the run; say what is already durable.
  const stopped = (e: unknown, line: number): never => {
    const note = options.atomic
      ? `stopped at line ${line}: nothing was written (atomic)`
      : `stopped at line ${line}: the ${report.accepted} event(s) of the lines before it are appended, nothing from it on`;
    if (e instanceof StoreError)
      throw new StoreError(e.code, `${e.message} (${note})`, { ...e.details, line }, { cause: e });
    throw new StoreError("INTERNAL", `${messageOf(e)} (${note})`, { line, errorCode: errorCode(e) }, { cause: e });
  };
  const isAboutTheLine = (e: unknown) =>
    e instanceof StoreError && !["STORE_BUSY", "DISK_FULL", "DISK_IO_ERROR", "CORRUPT_DATABASE"].includes(e.code);
  type Pending = { line: number; envelope: unknown };
  /** The lines the store would refuse whatever its state, reported; the rest returned. */
  const withoutInvalid = (pending: readonly Pending[]): Pending[] =>
    pending.filter((b) => {
      const invalid = validate(b.envelope, b.line, store.clock);
      if (invalid) report.rejected.push(invalid);
      return !invalid;
    });
  // Atomic: one transaction, begun with the first batch, each batch a savepoint of it; after the first bad line, none.
  let transaction: StoreTransaction | undefined;
  let refused = false;
  const abandon = () => {
    transaction?.rollback();
    transaction = undefined;
    refused = true;
    Object.assign(report, { ...emptyReport(), lines: report.lines, rejected: report.rejected });
  };
  /** Atomic: the batch again line by line, up to the first line refused; it is reported, the rest checked on their own. */
  const refuseFirstBad = (pending: readonly Pending[], append: (envelope: unknown) => AppendedEvent[]): void => {
    for (const [i, b] of pending.entries()) {
      try {
        record(append(b.envelope));
      } catch (err) {
        if (!isAboutTheLine(err)) stopped(err, b.line);
        report.rejected.push(reject(b.line, err));
        abandon();
        withoutInvalid(pending.slice(i + 1));
        return;
      }
    }
  };
  // Events are validated by the append itself; only a batch that fails is validated line by line, so a good batch pays once.
  const flush = (pending: readonly Pending[]): void => {
    if (pending.length === 0) return;
    try {
      if (options.atomic) transaction ??= store.beginTransaction();
      record((transaction ?? store).appendUnknown(pending.map((b) => b.envelope)));
      return;
    } catch (e) {
      if (!isAboutTheLine(e)) stopped(e, pending[0]?.line ?? 0);
      const inside = transaction;
      if (inside) {
        refuseFirstBad(pending, (envelope) => inside.appendUnknown([envelope]));
        return;
      }
    }
    const valid = withoutInvalid(pending);
    if (valid.length < pending.length) {
      flush(valid);
      return;
    }
    for (const b of pending) {
      try {
        record(store.appendUnknown([b.envelope]));
      } catch (err) {
        if (!isAboutTheLine(err)) stopped(err, b.line);
        report.rejected.push(reject(b.line, err));
      }
    }
  };

  let batch: Pending[] = [];
  let seen = false;
  try {
    for await (const raw of lines) {
      const n = ++report.lines;
      const parsed = parseLine(raw, n);
      if (parsed === undefined) continue;
      if (!seen) refuseArrayInput(parsed);
      seen = true;
      if (refused) {
        // Atomic, after the first bad line: nothing will be written; each line is checked on its own.
        if (parsed.ok) withoutInvalid([parsed]);
        else report.rejected.push({ line: parsed.line, code: parsed.code, message: parsed.message });
        continue;
      }
      if (parsed.ok) batch.push(parsed);
      else {
        // Atomic: the lines before this one are judged first, in order; this one is bad whatever they are.
        if (options.atomic) {
          flush(batch);
          batch = [];
          if (!refused) abandon();
        }
        report.rejected.push({ line: parsed.line, code: parsed.code, message: parsed.message });
      }
      if (batch.length >= batchSize) {
        flush(batch);
        batch = [];
      }
    }
    flush(batch);
    if (transaction) {
      try {
        transaction.commit();
      } catch (e) {
        abandon();
        stopped(e, report.lines);
      }
    }
  } finally {
    transaction?.rollback();
  }
  report.rejected.sort((a, b) => a.line - b.line);
  return report;
};

/** Lines read ahead of the commits, at most: the reader waits while this many are waiting for theirs. */
const FOLLOW_QUEUE = 1000;
/**
 * Lines per transaction, at most, when more than one is waiting: it bounds how long a
 * line waits for its acknowledgement and how long other writers wait for the lock. The
 * same as emit's default batch size, so a file piped to --follow commits as emit FILE
 * does (smaller groups were measurably slower: docs/performance.md).
 */
const FOLLOW_GROUP = 500;

/** A store failure (not the line's): the group is tried again line by line, each in its own transaction. */
const isStoreFailure = (e: unknown): boolean =>
  !(e instanceof StoreError) || ["STORE_BUSY", "DISK_FULL", "DISK_IO_ERROR", "CORRUPT_DATABASE"].includes(e.code);

/** The acknowledgement of a line whose append threw: a refusal naming the line, or the failure that kept it out. */
const failedLine = (line: number, e: unknown): LineResult =>
  e instanceof StoreError
    ? { ok: false, ...reject(line, e) }
    : // Even a failure outside the store's vocabulary (disk full) is acknowledged, so the caller knows this line is not durable.
      { ok: false, line, code: errorCode(e) ?? "INTERNAL", message: `line ${line}: ${messageOf(e)}` };

const appendedLine = (line: number, appended: AppendedEvent | undefined): LineResult =>
  appended
    ? { line, ok: true, appended }
    : { ok: false, line, code: "INTERNAL", message: `line ${line}: append returned nothing` };

type FollowLine = { line: number; parsed: Parsed };

/** One line in its own transaction (the append validates the event: its refusal names the line as checkLine's would). */
const commitAlone = (store: Store, { line, parsed }: FollowLine): LineResult => {
  if (!parsed.ok) return parsed;
  try {
    return appendedLine(line, store.appendUnknown([parsed.envelope])[0]);
  } catch (e) {
    return failedLine(line, e);
  }
};

/** The group's lines appended in one savepoint, as one batch; undefined when the store refuses any of them. */
const appendAsBatch = (tx: StoreTransaction, group: readonly FollowLine[]): LineResult[] | undefined => {
  const envelopes = group.flatMap(({ parsed }) => (parsed.ok ? [parsed.envelope] : []));
  let appended: AppendedEvent[];
  try {
    appended = tx.appendUnknown(envelopes);
  } catch {
    return undefined;
  }
  let next = 0;
  return group.map(({ line, parsed }) => (parsed.ok ? appendedLine(line, appended[next++]) : parsed));
};

/**
 * Lines in one transaction: first as one batch, and if the store refuses any, each
 * in a savepoint of its own, so a refused line undoes only itself. Undefined when the
 * store failed (busy, disk full, the commit): nothing of the group is written, and
 * its lines are tried again alone.
 */
const commitGroup = (store: Store, group: readonly FollowLine[]): LineResult[] | undefined => {
  let tx: StoreTransaction | undefined;
  try {
    tx = store.beginTransaction();
    const inTx = tx;
    const results = appendAsBatch(inTx, group) ?? [];
    if (results.length === 0)
      for (const { line, parsed } of group) {
        if (!parsed.ok) {
          results.push(parsed);
          continue;
        }
        try {
          results.push(appendedLine(line, inTx.appendUnknown([parsed.envelope])[0]));
        } catch (e) {
          // SQLite rolls a whole transaction back on some failures: the lines before this one are gone too.
          if (isStoreFailure(e) || !store.db.inTransaction) return undefined;
          results.push(failedLine(line, e));
        }
      }
    tx.commit();
    return results;
  } catch {
    return undefined;
  } finally {
    tx?.rollback();
  }
};

/**
 * The lines of `source` as they arrive, read ahead of the caller into a bounded queue:
 * `take` waits for at least one line and returns every line waiting (at most `max`).
 */
const readAhead = <T>(source: AsyncIterable<T>, limit: number) => {
  const iterator = source[Symbol.asyncIterator]();
  const queue: T[] = [];
  let done = false;
  let failure: { error: unknown } | undefined;
  let wake: (() => void) | undefined;
  let room: (() => void) | undefined;
  let reading = false;
  const signal = () => {
    wake?.();
    wake = undefined;
  };
  const pump = (async () => {
    try {
      while (!done) {
        if (queue.length >= limit) await new Promise<void>((resolve) => (room = resolve));
        if (done) break;
        reading = true;
        const next = await iterator.next();
        reading = false;
        if (next.done || done) break;
        queue.push(next.value);
        signal();
      }
    } catch (error) {
      failure = { error };
    } finally {
      done = true;
      signal();
    }
  })();
  return {
    /** Every line waiting (at most `max`), after waiting for one; [] at the end of the input. */
    take: async (max: number): Promise<T[]> => {
      while (queue.length === 0 && !done) await new Promise<void>((resolve) => (wake = resolve));
      // One turn of the event loop first: lines already in the pipe join this group.
      if (!done && queue.length < max) await new Promise((resolve) => setImmediate(resolve));
      if (queue.length === 0 && failure) throw failure.error;
      const taken = queue.splice(0, max);
      room?.();
      room = undefined;
      return taken;
    },
    /**
     * Stop reading (at the end, or when the reader of the acknowledgements has gone). A read
     * still waiting for input is not waited for: its source ends it when closed.
     */
    stop: async () => {
      const waiting = reading;
      done = true;
      room?.();
      room = undefined;
      const closed = iterator.return?.();
      if (!waiting) {
        await closed;
        await pump;
      } else closed?.catch(() => {});
    },
  };
};

/**
 * The long-lived mode for pipelines in other languages: append each line as it
 * arrives and acknowledge it once it is committed. Lines that arrive while a commit
 * is running go into the next transaction together (group commit), each in its own
 * savepoint, so a bad line is refused alone; each is acknowledged, in order, after the
 * commit of its transaction. Reading stays at most FOLLOW_QUEUE lines ahead, and a
 * group's acknowledgements are all taken (`ack` may return a promise: backpressure
 * from their reader) before the next group is written; an `ack` that returns false
 * stops the run. `endOfGroup`, if given, runs after the acknowledgements of each
 * transaction (to write them out at once); false from it stops the run too.
 * @example await followLines(store, rl, (ack) => process.stdout.write(JSON.stringify(ack) + "\n"));
 */
export const followLines = async (
  store: Store,
  lines: AsyncIterable<LineInput>,
  ack: (result: LineResult) => unknown,
  { endOfGroup }: { endOfGroup?: () => unknown } = {},
): Promise<{ accepted: number; rejected: number }> => {
  const counts = { accepted: 0, rejected: 0 };
  let line = 0;
  let seen = false;
  const input = readAhead(lines, FOLLOW_QUEUE);
  try {
    for (;;) {
      const raws = await input.take(FOLLOW_GROUP);
      if (raws.length === 0) break;
      const group: FollowLine[] = [];
      for (const raw of raws) {
        line++;
        const parsed = parseLine(raw, line);
        if (parsed === undefined) continue;
        if (!seen) refuseArrayInput(parsed);
        seen = true;
        group.push({ line, parsed });
      }
      const results =
        (group.length > 1 ? commitGroup(store, group) : undefined) ?? group.map((l) => commitAlone(store, l));
      for (const result of results) {
        if (result.ok) counts.accepted++;
        else counts.rejected++;
        // The next group waits until these acknowledgements are taken; false: their reader has gone, stop.
        if ((await ack(result)) === false) return counts;
      }
      if (endOfGroup && (await endOfGroup()) === false) return counts;
    }
  } finally {
    await input.stop();
  }
  return counts;
};
