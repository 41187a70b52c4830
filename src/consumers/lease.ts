import { StoreError } from "../db/errors.js";
import type { Checkpoints } from "./checkpoints.js";
import type { Wakeup } from "./wakeup.js";

/**
 * One process's hold on a consumer. The lease is a time lease renewed every third of its
 * length while the holder runs (idle or inside a batch); a crashed holder's lease lapses and
 * a waiting process takes it over. The checkpoint is fenced by the holder's name, so a holder
 * that lost its lease cannot move it, whatever its clock or its event loop did meanwhile.
 */
export interface Lease {
  readonly holder: string;
  /** Wait until the lease is ours (free, ours or expired); false if `signal` aborted first. */
  acquire(wakeup: Wakeup, signal: AbortSignal | undefined, onWaiting: (message: string) => void): Promise<boolean>;
  /** Renew if a third of the lease has gone by since the last renewal; LEASE_LOST when it is no longer ours. */
  renewIfDue(): void;
  /** Milliseconds until the next renewal is due. */
  msUntilRenewal(): number;
  /** Move the checkpoint (and renew the lease with it); LEASE_LOST when the lease is no longer ours. */
  advance(from: number, to: number): void;
  /** Record a renewal that a committed checkpoint made. */
  renewed(): void;
  release(): void;
}

export const createLease = (checkpoints: Checkpoints, name: string, holder: string, leaseMs: number): Lease => {
  let renewedAt = Number.NEGATIVE_INFINITY;
  const renewEvery = Math.max(1, Math.floor(leaseMs / 3));
  const lost = () => {
    const row = checkpoints.get(name);
    return new StoreError(
      "LEASE_LOST",
      row === undefined
        ? `consumer ${name} was deleted while ${holder} ran it`
        : `consumer ${name} is no longer held by ${holder} (now ${row.leaseHolder ?? "free"}): it was reset or deleted ` +
            "with force, or this process stalled past its lease",
      { name, holder, actualHolder: row?.leaseHolder ?? null },
    );
  };
  return {
    holder,
    acquire: async (wakeup, signal, onWaiting) => {
      let told = false;
      for (;;) {
        if (signal?.aborted) return false;
        const { row, acquired } = checkpoints.acquire(name, holder, leaseMs);
        if (acquired) {
          renewedAt = Date.now();
          return true;
        }
        const expires = row.leaseExpiresAt ? Date.parse(row.leaseExpiresAt) : Date.now();
        if (!told)
          onWaiting(
            `consumer ${name} is held by ${row.leaseHolder} until ${row.leaseExpiresAt}: waiting to take it over`,
          );
        told = true;
        // A release writes the WAL and wakes us sooner; an expiry does not, so wake at it.
        await wakeup.wait(Math.min(Math.max(expires - Date.now() + 1, 1), renewEvery), signal);
      }
    },
    renewIfDue: () => {
      if (Date.now() - renewedAt < renewEvery) return;
      if (!checkpoints.renew(name, holder, leaseMs)) throw lost();
      renewedAt = Date.now();
    },
    msUntilRenewal: () => Math.max(0, renewedAt + renewEvery - Date.now()),
    advance: (from, to) => checkpoints.advance(name, holder, leaseMs, from, to),
    renewed: () => {
      renewedAt = Date.now();
    },
    release: () => checkpoints.release(name, holder),
  };
};
