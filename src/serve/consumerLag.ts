import { consumerStatuses } from "../consumers/status.js";
import type { Db } from "../db/connection.js";

/** One named consumer's checkpoint against the log head, as the health page and `GET /health` show it. */
export interface ConsumerLag {
  name: string;
  position: number;
  /** Events after its checkpoint. */
  lag: number;
  /** Seconds since the oldest event after its checkpoint was recorded (0 when caught up). */
  lagSeconds: number;
  /** Who runs it, and whether that lease is still live (false: the holder stopped renewing it). */
  lease: { holder: string; expiresAt: string; live: boolean } | null;
}

/**
 * The consumer-lag panel's data: every named consumer (src/consumers) with its lag, from one snapshot.
 * @example readConsumerLag(store.db, new Date())
 */
export const readConsumerLag = (db: Db, now: Date): ConsumerLag[] =>
  consumerStatuses(db, now).map((c) => ({
    name: c.name,
    position: c.position,
    lag: c.lagEvents,
    lagSeconds: c.lagSeconds,
    lease: c.lease,
  }));
