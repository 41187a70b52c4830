import { messageNamingEvent, StoreError } from "../db/errors.js";
import { messageOf } from "../db/sqliteErrors.js";
import type { AppendedEvent } from "../events/envelope.js";
import {
  checkLine,
  type EmitReport,
  emptyReport,
  type LineResult,
  type Rejection,
  recordAppended,
} from "../ingest/emitLines.js";
import type { AsyncStore } from "./asyncStore.js";

type LineInput = Parameters<typeof checkLine>[0];

const rejectLine = (line: number, e: unknown): Rejection =>
  e instanceof StoreError
    ? { line, code: e.code, message: messageNamingEvent(e, `line ${line}`) }
    : { line, code: "INTERNAL", message: `line ${line}: ${messageOf(e)}` };

/** Failures that are about the server, not the line: they stop the run. */
const isAboutTheLine = (e: unknown) => e instanceof StoreError && !["STORE_BUSY", "INTERNAL"].includes(e.code);

/**
 * JSON lines into an async store (the CLI's `emit` on PostgreSQL): batches of `batchSize`
 * lines per transaction; a batch the store refuses is tried line by line, so one bad line
 * never takes its good neighbours down. With `atomic`, every line in one append: any bad
 * line and nothing is written (the lines are held in memory until then).
 * @example const report = await emitLinesAsync(store, byteLines(process.stdin), clock, { batchSize: 500 });
 */
export const emitLinesAsync = async (
  store: AsyncStore,
  lines: AsyncIterable<LineInput>,
  clock: () => Date,
  options: { atomic?: boolean; batchSize?: number } = {},
): Promise<EmitReport> => {
  const report = emptyReport();
  const record = (appended: readonly AppendedEvent[]) => recordAppended(report, appended);
  type Pending = { line: number; envelope: unknown };
  const appendOne = async (b: Pending) => {
    try {
      record(await store.appendUnknown([b.envelope]));
    } catch (e) {
      if (!isAboutTheLine(e)) throw e;
      report.rejected.push(rejectLine(b.line, e));
    }
  };
  const flush = async (pending: readonly Pending[]) => {
    if (pending.length === 0) return;
    try {
      record(await store.appendUnknown(pending.map((b) => b.envelope)));
    } catch (e) {
      if (!isAboutTheLine(e)) throw e;
      if (options.atomic) {
        const index = e instanceof StoreError && typeof e.details.index === "number" ? e.details.index : 0;
        report.rejected.push(rejectLine(pending[index]?.line ?? 0, e));
        return;
      }
      for (const b of pending) await appendOne(b);
    }
  };
  const size = options.atomic ? Number.POSITIVE_INFINITY : (options.batchSize ?? 500);
  let batch: Pending[] = [];
  for await (const raw of lines) {
    const line = ++report.lines;
    const checked = checkLine(raw, line, clock);
    if (!checked.ok) {
      // A blank line is no event: checkLine reports it, the SQLite emit skips it.
      if (!/the line is blank/.test(checked.message)) report.rejected.push(checked);
      continue;
    }
    batch.push({ line, envelope: checked.envelope });
    if (batch.length >= size) {
      await flush(batch);
      batch = [];
    }
  }
  if (!options.atomic || report.rejected.length === 0) await flush(batch);
  if (options.atomic && report.rejected.length > 0)
    Object.assign(report, { ...emptyReport(), lines: report.lines, rejected: report.rejected });
  report.rejected.sort((a, b) => a.line - b.line);
  return report;
};

/**
 * `emit --follow` on an async store: each line appended in its own transaction as it arrives and
 * acknowledged once committed; the next line is read once `ack` is done.
 */
export const followLinesAsync = async (
  store: AsyncStore,
  lines: AsyncIterable<LineInput>,
  clock: () => Date,
  ack: (result: LineResult) => unknown,
): Promise<{ accepted: number; rejected: number }> => {
  let line = 0;
  const counts = { accepted: 0, rejected: 0 };
  for await (const raw of lines) {
    line++;
    const checked = checkLine(raw, line, clock);
    if (!checked.ok && /the line is blank/.test(checked.message)) continue;
    let result: LineResult;
    if (!checked.ok) result = checked;
    else
      try {
        const [appended] = await store.appendUnknown([checked.envelope]);
        result = appended
          ? { line, ok: true, appended }
          : { ok: false, line, code: "INTERNAL", message: `line ${line}: append returned nothing` };
      } catch (e) {
        result = { ok: false, ...rejectLine(line, e) };
      }
    if (result.ok) counts.accepted++;
    else counts.rejected++;
    if ((await ack(result)) === false) break;
  }
  return counts;
};
