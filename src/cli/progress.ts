import cliProgress from "cli-progress";
import type { RebuildResult } from "../replay/rebuildProjections.js";
import type { Progress } from "../replay/replay.js";

export interface ProgressReporter {
  /** Pass as a library function's `onProgress`. */
  onProgress: (progress: Progress) => void;
  /** Stop the bar (if any) and print the summary line. */
  finish: (summary: string) => void;
}

export interface ProgressOptions {
  /** Where the bar goes (default: process.stderr). */
  stream?: NodeJS.WritableStream & { isTTY?: boolean };
  /** Where the summary line goes (default: process.stdout). */
  out?: NodeJS.WritableStream;
}

/** Events per second, rounded, as people read it (12 345). */
export const formatRate = (events: number, ms: number): string =>
  Math.round(events / Math.max(ms / 1000, 1e-3))
    .toLocaleString("en-US")
    .replaceAll(",", " ");

/**
 * A progress bar (events done, events/s, ETA) on a terminal, nothing but the
 * summary line otherwise (CI logs, pipes). The scripts and the CLI share it.
 * @example const p = createProgress("rebuild"); const r = rebuildProjections(store, { onProgress: p.onProgress }); p.finish(`rebuilt ${r.events} events`);
 */
export const createProgress = (label: string, options: ProgressOptions = {}): ProgressReporter => {
  const stream = options.stream ?? process.stderr;
  const out = options.out ?? process.stdout;
  const started = performance.now();
  const bar = stream.isTTY
    ? new cliProgress.SingleBar(
        {
          stream,
          format: `${label} [{bar}] {value}/{total} events | {speed} events/s | ETA {eta_formatted}`,
          hideCursor: true,
          clearOnComplete: true,
        },
        cliProgress.Presets.shades_classic,
      )
    : undefined;
  let running = false;
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
      if (running) bar?.stop();
      out.write(`${summary}\n`);
    },
  };
};

/**
 * One summary line of a rebuild.
 * @example describeRebuild(rebuildProjections(store)) // "rebuilt generated_images, …: 100000 events in 2.4 s (41 000 events/s), write lock held 120 ms"
 */
export const describeRebuild = (r: RebuildResult): string =>
  `rebuilt ${r.tables.join(", ")} to log position ${r.position}: ${r.events} events in ${(r.durationMs / 1000).toFixed(1)} s (${formatRate(r.events, r.durationMs)} events/s), write lock held ${Math.round(r.lockMs)} ms`;
