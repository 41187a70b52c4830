import type { Store } from "../store/openStore.js";
import { type ConsumerStart, checkConsumerName, createCheckpoints } from "./checkpoints.js";
import { parseStart } from "./options.js";
import { type ConsumerStatus, consumerStatuses } from "./status.js";

/**
 * Every consumer of the store with its checkpoint, its lag in events and in time, and its lease.
 * @example for (const c of listConsumers(store)) console.log(`${c.name}: ${c.lagEvents} behind`);
 */
export const listConsumers = (store: Store): ConsumerStatus[] => consumerStatuses(store.db);

/**
 * Put a consumer at a start point again ("beginning" replays the whole log to it, "end" skips to
 * the head, a position is the next one it is given). Refused with CONSUMER_LEASED while a process
 * holds its lease, unless `force` (that process then stops with LEASE_LOST at its next checkpoint).
 * @example resetConsumer(store, "exporter", "beginning")
 */
export const resetConsumer = (
  store: Store,
  name: string,
  from: ConsumerStart,
  options: { force?: boolean } = {},
): ConsumerStatus => {
  createCheckpoints(store.db).reset(checkConsumerName(name), parseStart(from), options);
  const status = consumerStatuses(store.db).find((c) => c.name === name);
  if (!status) throw new Error(`consumer ${name} vanished after its reset`);
  return status;
};

/**
 * Forget a consumer and its checkpoint. Refused with CONSUMER_LEASED while a process holds its
 * lease, unless `force`. Returns its checkpoint as it was.
 * @example deleteConsumer(store, "old-exporter").position
 */
export const deleteConsumer = (
  store: Store,
  name: string,
  options: { force?: boolean } = {},
): { name: string; position: number } => {
  const row = createCheckpoints(store.db).remove(checkConsumerName(name), options);
  return { name: row.name, position: row.position };
};
