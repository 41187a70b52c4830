import cliProgress from "cli-progress";
import type { RebuildResult } from "../replay/rebuildProjections.js";
import type { Progress } from "../replay/replay.js";
import type { Io } from "./common.js";

export interface ProgressReporter {
  /** Pass as a library function's `onProgress`. */
  onProgress: (progress: Progress) => void;
  /** Stop the bar (if any) and print the summary line. */
  finish: (summary: string) => void;
  /** Stop the bar (if any) and print nothing: for a run that failed, so the terminal gets its cursor back. */
  stop: () => void;
}

export interface ProgressOptions {
  /** Where the bar goes (default: process.stderr). */
  stream?: NodeJS.WritableStream & { isTTY?: boolean };
  /** Draw the bar (default: when `stream` is a terminal); nothing but the summary line otherwise. */
  bar?: boolean;
  /** Where the summary line goes (default: stdout). */
  out?: (text: string) => void;
  /** What is counted (default: events). */
  unit?: string;
}

/** Items per second, rounded, as people read it (12 345). */
export const formatRate = (items: number, ms: number): string =>
  Math.round(items / Math.max(ms / 1000, 1e-3))
    .toLocaleString("en-US")
    .replaceAll(",", " ");

/**
 * A progress bar (done, rate, ETA) on a terminal, nothing but the summary line
 * otherwise (CI logs, pipes). Every long command draws this one.
 * @example const p = createProgress("rebuild"); const r = rebuildProjections(store, { onProgress: p.onProgress }); p.finish(describeRebuild(r));
 */
export const createProgress = (label: string, options: ProgressOptions = {}): ProgressReporter => {
  const stream = options.stream ?? process.stderr;
  const out = options.out ?? ((text: string) => void process.stdout.write(text));
  const unit = options.unit ?? "events";
  const started = performance.now();
  const bar =
    (options.bar ?? stream.isTTY === true)
      ? new cliProgress.SingleBar(
          {
            stream,
            format: `${label} [{bar}] {value}/{total} ${unit} | {speed} ${unit}/s | ETA {eta_formatted}`,
            hideCursor: true,
            clearOnComplete: true,
          },
          cliProgress.Presets.shades_classic,
        )
      : undefined;
  let running = false;
  const stop = () => {
    if (running) bar?.stop();
    running = false;
  };
  return {
    onProgress: ({ done, total }) => {
      if (!bar) return;
      const speed = formatRate(done, performance.now() - started);
      if (!running) {
        bar.start(total, done, { speed });
        running = true;
      } else {
        bar.setTotal(total);
        bar.update(done, { speed });
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
 * One summary line of a rebuild.
 * @example describeRebuild(rebuildProjections(store)) // "rebuilt generated_images, …: 100000 events in 2.4 s (41 000 events/s), …"
 */
export const describeRebuild = (r: RebuildResult): string =>
  `rebuilt ${r.tables.join(", ")} to log position ${r.position}: ${r.events} events in ${(r.durationMs / 1000).toFixed(1)} s ` +
  `(${formatRate(r.events, r.durationMs)} events/s), write lock held ${Math.round(r.lockMs)} ms`;
