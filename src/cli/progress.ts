import cliProgress from "cli-progress";
import type { RebuildResult } from "../replay/rebuildProjections.js";
import { drawsProgress, type Io } from "./common.js";
import { formatBytes } from "./format.js";

export interface ProgressReporter {
  /** Pass as a library function's `onProgress`; `total` undefined: a count without an end (no bar, no ETA). */
  onProgress: (progress: { done: number; total?: number }) => void;
  /** Stop the bar (if any) and print the summary line. */
  finish: (summary: string) => void;
  /** Stop the bar (if any) and print nothing: for a run that failed, so the terminal gets its cursor back. */
  stop: () => void;
  /** Whether a bar is drawn: a caller may skip the work of counting when none is. */
  drawn: boolean;
}

export interface ProgressOptions {
  /** Where the bar goes (default: process.stderr). */
  stream?: NodeJS.WritableStream & { isTTY?: boolean };
  /** Draw the bar (default: drawsProgress(stream)); nothing but the summary line otherwise. */
  bar?: boolean;
  /** Where the summary line goes (default: stdout). */
  out?: (text: string) => void;
  /** What is counted (default: events); "bytes" shows sizes (12.3 MiB) instead of counts. */
  unit?: string;
}

/** A count as people read it (12 345). */
const formatCount = (n: number): string => Math.round(n).toLocaleString("en-US").replaceAll(",", " ");

/** Items per second, rounded, as people read them (12 345). */
export const formatRate = (items: number, ms: number): string => formatCount(items / Math.max(ms / 1000, 1e-3));

/**
 * A progress bar (done, rate, ETA) on a terminal, nothing but the summary line otherwise (CI logs, pipes). Every
 * long command draws this one; a count without a known end (stdin) shows the count and its rate.
 * @example const p = createProgress("rebuild"); const r = rebuildProjections(store, { onProgress: p.onProgress }); p.finish(describeRebuild(r));
 */
export const createProgress = (label: string, options: ProgressOptions = {}): ProgressReporter => {
  const stream = options.stream ?? process.stderr;
  const out = options.out ?? ((text: string) => void process.stdout.write(text));
  const unit = options.unit ?? "events";
  const amount = unit === "bytes" ? formatBytes : formatCount;
  const counted = unit === "bytes" ? "" : ` ${unit}`;
  const started = performance.now();
  const drawn = options.bar ?? drawsProgress(stream);
  const barOf = (known: boolean) =>
    new cliProgress.SingleBar(
      {
        stream,
        format: known
          ? `${label} [{bar}] {amount}/{totalAmount}${counted} | {speed}${counted}/s | ETA {eta_formatted}`
          : `${label} {amount}${counted} | {speed}${counted}/s`,
        hideCursor: true,
        clearOnComplete: true,
      },
      cliProgress.Presets.shades_classic,
    );
  let bar: cliProgress.SingleBar | undefined;
  const stop = () => {
    bar?.stop();
    bar = undefined;
  };
  return {
    drawn,
    onProgress: ({ done, total }) => {
      if (!drawn) return;
      const seconds = Math.max((performance.now() - started) / 1000, 1e-3);
      const payload = {
        amount: amount(done),
        totalAmount: amount(total ?? done),
        speed: amount(done / seconds),
      };
      if (!bar) {
        bar = barOf(total !== undefined);
        bar.start(total ?? done, done, payload);
      } else {
        bar.setTotal(total ?? done);
        bar.update(done, payload);
      }
    },
    finish: (summary) => {
      stop();
      out(`${summary}\n`);
    },
    stop,
  };
};

/**
 * The progress of a command: the bar on stderr when it is a terminal, the summary through the command's stdout.
 * @example const progress = commandProgress(io, "backup", "pages");
 */
export const commandProgress = (io: Io, label: string, unit?: string): ProgressReporter =>
  createProgress(label, { stream: process.stderr, bar: io.errTty, out: io.out, unit });

/**
 * The chunks of a byte stream passed through, the bytes read so far reported against `total` (a file's size).
 * @example byteLines(countingBytes(createReadStream(file), statSync(file).size, progress))
 */
export async function* countingBytes<C extends Uint8Array | string>(
  input: AsyncIterable<C>,
  total: number,
  progress: Pick<ProgressReporter, "onProgress">,
): AsyncGenerator<C> {
  let done = 0;
  for await (const chunk of input) {
    done += typeof chunk === "string" ? Buffer.byteLength(chunk) : chunk.byteLength;
    progress.onProgress({ done, total: Math.max(total, done) });
    yield chunk;
  }
}

/** How often a count of lines is redrawn: a redraw per line would cost more than the line. */
const COUNT_REDRAW_MS = 100;

/**
 * The items of an input without a known end (stdin) passed through, their count reported as it grows.
 * @example emitLines(store, countingItems(byteLines(process.stdin), progress))
 */
export async function* countingItems<T>(
  input: AsyncIterable<T>,
  progress: Pick<ProgressReporter, "onProgress">,
): AsyncGenerator<T> {
  let done = 0;
  let drawn = Number.NEGATIVE_INFINITY;
  for await (const item of input) {
    done++;
    const now = performance.now();
    if (now - drawn >= COUNT_REDRAW_MS) {
      drawn = now;
      progress.onProgress({ done });
    }
    yield item;
  }
}

/**
 * One summary line of a rebuild.
 * @example describeRebuild(rebuildProjections(store)) // "rebuilt generated_images, …: 100000 events in 2.4 s (41 000 events/s), …"
 */
export const describeRebuild = (r: RebuildResult): string =>
  `rebuilt ${r.tables.join(", ")} to log position ${r.position}: ${r.events} events in ${(r.durationMs / 1000).toFixed(1)} s ` +
  `(${formatRate(r.events, r.durationMs)} events/s), write lock held ${Math.round(r.lockMs)} ms`;
