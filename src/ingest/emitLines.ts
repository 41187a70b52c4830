import { z } from "zod";
import { messageNamingEvent, StoreError } from "../db/errors.js";
import { errorCode, messageOf } from "../db/sqliteErrors.js";
import type { AppendedEvent } from "../events/envelope.js";
import { prepareEvent } from "../events/prepareEvent.js";
import type { Store, StoreTransaction } from "../store/openStore.js";

/** A JSON line as `emit` reads it: the store's envelope, with `streamVersion` (the version the event will get) as an alternative to `expectedVersion`. */
const Line = z.looseObject({
  streamVersion: z.number().int().min(1).optional(),
  expectedVersion: z.unknown().optional(),
});

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

type Parsed = { line: number; ok: true; envelope: unknown } | ({ ok: false } & Rejection);

/** JSON and the line's own fields (streamVersion); the event itself is validated by the append, or by `validate`. */
const parseLine = (text: string, line: number): Parsed => {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    return {
      ok: false,
      line,
      code: "MALFORMED_JSON",
      message: `line ${line}: not valid JSON: ${messageOf(e)}`,
    };
  }
  const parsed = Line.safeParse(json);
  if (!parsed.success)
    return {
      ok: false,
      line,
      code: "INVALID_EVENT",
      message: `line ${line}: expected a JSON object {"type", "data", ...}`,
    };
  const { streamVersion, ...rest } = parsed.data;
  if (streamVersion !== undefined && rest.expectedVersion !== undefined)
    return {
      ok: false,
      line,
      code: "INVALID_EVENT",
      message: `line ${line}: give streamVersion or expectedVersion, not both`,
    };
  return {
    line,
    ok: true,
    envelope: streamVersion === undefined ? rest : { ...rest, expectedVersion: streamVersion - 1 },
  };
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
 * Parse and validate one JSON line into the envelope `store.append` takes.
 * Returns a rejection (never throws) for malformed JSON or an invalid event.
 * @example checkLine('{"type":"BatchStarted","data":{"batchId":"b1"}}', 1, store.clock)
 */
export const checkLine = (text: string, line: number, clock: () => Date): Parsed => {
  const parsed = parseLine(text, line);
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
 * Append JSON lines to the store in batched transactions. A batch that fails loses
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
  lines: AsyncIterable<string>,
  options: EmitLinesOptions = {},
): Promise<EmitReport> => {
  const batchSize = options.batchSize ?? 500;
  const report: EmitReport = {
    lines: 0,
    accepted: 0,
    duplicates: 0,
    rejected: [],
    firstPosition: null,
    lastPosition: null,
  };
  const record = (appended: readonly AppendedEvent[]) => {
    for (const a of appended) {
      report.accepted++;
      if (a.duplicate) {
        report.duplicates++;
        continue;
      }
      report.firstPosition ??= a.position;
      report.lastPosition = a.position;
    }
  };
  // A failure that is not about the line (the lock stayed taken, the disk is full) stops the run; say what is already durable.
  const stopped = (e: unknown, line: number): never => {
    const note = options.atomic
      ? `stopped at line ${line}: nothing was written (atomic)`
      : `stopped at line ${line}: the ${report.accepted} event(s) of the lines before it are appended, nothing from it on`;
    if (e instanceof StoreError)
      throw new StoreError(e.code, `${e.message} (${note})`, { ...e.details, line }, { cause: e });
    throw new Error(`${messageOf(e)} (${note})`, { cause: e });
  };
  const isAboutTheLine = (e: unknown) =>
    e instanceof StoreError && !["STORE_BUSY", "DISK_FULL", "DISK_IO_ERROR"].includes(e.code);
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
    Object.assign(report, { accepted: 0, duplicates: 0, firstPosition: null, lastPosition: null });
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
  try {
    for await (const text of lines) {
      const n = ++report.lines;
      if (text.trim() === "") continue;
      const parsed = parseLine(text, n);
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

/**
 * The long-lived mode for pipelines in other languages: append each line as it
 * arrives, in its own transaction, and acknowledge it once it is committed. The next
 * line is read once `ack` is done (it may return a promise: backpressure from the
 * reader of the acknowledgements); an `ack` that returns false stops the run.
 * @example await followLines(store, rl, (ack) => process.stdout.write(JSON.stringify(ack) + "\n"));
 */
export const followLines = async (
  store: Store,
  lines: AsyncIterable<string>,
  ack: (result: LineResult) => unknown,
): Promise<{ accepted: number; rejected: number }> => {
  let line = 0;
  const counts = { accepted: 0, rejected: 0 };
  for await (const text of lines) {
    line++;
    if (text.trim() === "") continue;
    // The append validates the event: its refusal names the line as checkLine's would.
    const parsed = parseLine(text, line);
    let result: LineResult;
    if (!parsed.ok) result = parsed;
    else {
      try {
        const [appended] = store.appendUnknown([parsed.envelope]);
        result = appended
          ? { line, ok: true, appended }
          : { ok: false, line, code: "INTERNAL", message: `line ${line}: append returned nothing` };
      } catch (e) {
        // Even a failure outside the store's vocabulary (disk full) is acknowledged, so the caller knows this line is not durable.
        result =
          e instanceof StoreError
            ? { ok: false, ...reject(line, e) }
            : {
                ok: false,
                line,
                code: errorCode(e) ?? "INTERNAL",
                message: `line ${line}: ${messageOf(e)}`,
              };
      }
    }
    if (result.ok) counts.accepted++;
    else counts.rejected++;
    // The next line waits until this acknowledgement is taken; false: its reader has gone, stop.
    if ((await ack(result)) === false) break;
  }
  return counts;
};
