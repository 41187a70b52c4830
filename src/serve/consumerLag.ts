import type { Db } from "../db/connection.js";

/** One named consumer's checkpoint against the log head. */
export interface ConsumerLag {
  name: string;
  position: number;
  lag: number;
}

/**
 * The consumer-lag panel's data: null while this store has no consumers to report (the consumers
 * layer lands separately). Its one caller is readHealth, which counts a consumer's lag against
 * --max-lag exactly as a projection's; the health page draws the panel from this list.
 * @example readConsumerLag(store.db) // null
 */
export const readConsumerLag = (_db: Db): ConsumerLag[] | null => null;
