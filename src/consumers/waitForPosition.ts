import { StoreError } from "../db/errors.js";
import { createProjectionState } from "../projections/projectionState.js";
import type { Store } from "../store/openStore.js";
import { checkConsumerName, createCheckpoints } from "./checkpoints.js";
import { createWakeup } from "./wakeup.js";

/**
 * Whom to wait for, and for how long.
 * @example waitForPosition(store, appended.position, { consumer: "exporter", timeoutMs: 2000 })
 */
export interface WaitForPositionOptions {
  /** A consumer's checkpoint; without it, the projections' (every projection table). */
  consumer?: string;
  /** Give up after this many milliseconds (default 5,000). */
  timeoutMs?: number;
  signal?: AbortSignal;
}

/** How often the checkpoint is read again when no file change woke the wait. */
const POLL_MS = 250;

/**
 * Wait until a consumer (or the projections) has handled the log up to `position`: a reader that
 * wrote an event waits for the consumer that reacts to it before it looks at the result. Resolves
 * true once it has, false at the timeout. The projections are written in the append's own
 * transaction, so for them it resolves at once for any position the log has.
 * @example const { position } = store.emit.imageCurated(data); await waitForPosition(store, position, { consumer: "exporter" });
 */
export const waitForPosition = async (
  store: Store,
  position: number,
  { consumer, timeoutMs = 5000, signal }: WaitForPositionOptions = {},
): Promise<boolean> => {
  if (!Number.isSafeInteger(position) || position < 0)
    throw new StoreError("INVALID_ARGUMENT", `position must be an integer from 0, got ${position}`, { position });
  if (!Number.isFinite(timeoutMs) || timeoutMs < 0)
    throw new StoreError("INVALID_ARGUMENT", `timeoutMs must be a number from 0, got ${timeoutMs}`, { timeoutMs });
  const reached = (() => {
    if (consumer !== undefined) {
      const checkpoints = createCheckpoints(store.db);
      const name = checkConsumerName(consumer);
      return () => checkpoints.mustGet(name).position >= position;
    }
    const state = createProjectionState(store.db);
    return () => state.status().every((s) => (s.position ?? -1) >= position);
  })();
  if (reached()) return true;
  const deadline = performance.now() + timeoutMs;
  const wakeup = createWakeup(store.path);
  try {
    for (;;) {
      const left = deadline - performance.now();
      if (left <= 0 || signal?.aborted) return reached();
      await wakeup.wait(Math.min(left, POLL_MS), signal);
      if (reached()) return true;
    }
  } finally {
    wakeup.close();
  }
};
