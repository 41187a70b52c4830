import { z } from "zod";
import type { Db } from "../db/connection.js";
import { createCheckpoints } from "./checkpoints.js";

/**
 * A consumer as an operator sees it: where it is, how far behind the log, who runs it.
 * @example for (const c of listConsumers(store)) console.log(c.name, c.lagEvents, c.lease?.holder);
 */
export interface ConsumerStatus {
  name: string;
  /** Its checkpoint: every event up to here has been handled. */
  position: number;
  /** The log's head. */
  head: number;
  /** Events after the checkpoint (of any type: a filtered consumer's checkpoint also moves past what it skips). */
  lagEvents: number;
  /** Seconds since the oldest event after the checkpoint was recorded (0 when caught up). */
  lagSeconds: number;
  createdAt: string;
  /** When the checkpoint last moved. */
  updatedAt: string;
  /** How many times it was reset. */
  resets: number;
  /** Who holds it and until when; live is false once it has expired (a crashed holder). Null when nobody does. */
  lease: { holder: string; expiresAt: string; live: boolean } | null;
}

const RecordedAt = z.string().optional();

/**
 * Every consumer with its lag, from one snapshot (checkpoints and head read together).
 * @example consumerStatuses(store.db).filter((c) => c.lagEvents > 1000)
 */
export const consumerStatuses = (db: Db, now: Date = new Date()): ConsumerStatus[] => {
  const checkpoints = createCheckpoints(db);
  const firstAfter = db.prepare(`SELECT recorded_at FROM events WHERE position > ? ORDER BY position LIMIT 1`).pluck();
  return db
    .transaction(() => {
      const head = checkpoints.headPosition();
      return checkpoints.all().map((row): ConsumerStatus => {
        const oldest = row.position < head ? RecordedAt.parse(firstAfter.get(row.position)) : undefined;
        return {
          name: row.name,
          position: row.position,
          head,
          lagEvents: head - row.position,
          lagSeconds: oldest === undefined ? 0 : Math.max(0, (now.getTime() - Date.parse(oldest)) / 1000),
          createdAt: row.createdAt,
          updatedAt: row.updatedAt,
          resets: row.resets,
          lease:
            row.leaseHolder === null || row.leaseExpiresAt === null
              ? null
              : {
                  holder: row.leaseHolder,
                  expiresAt: row.leaseExpiresAt,
                  live: checkpoints.liveLease(row, now.getTime()),
                },
        };
      });
    })
    .deferred();
};
