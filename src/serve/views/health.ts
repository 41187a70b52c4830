import { existsSync, statSync } from "node:fs";
import { listBackups } from "../../maintenance/backup.js";
import type { ProjectionStatus } from "../../projections/projectionState.js";
import { type ConsumerLag, readConsumerLag } from "../consumerLag.js";

/** The result of the last integrity check the dashboard ran (on demand: it reads the whole file). */
export interface IntegrityResult {
  mode: "quick" | "full";
  ok: boolean;
  problems: string[];
  checkedAt: string;
  ms: number;
}

/** What the health page and `GET /health` report. */
export interface Health {
  /** false when a projection lags the log by more than maxLag events, or a consumer by more than maxConsumerLag. */
  ok: boolean;
  maxLag: number;
  maxConsumerLag: number;
  head: number;
  projections: {
    projection: string;
    state: ProjectionStatus["state"];
    position: number | null;
    lag: number;
  }[];
  /** Every named consumer's checkpoint and lag (an empty list when none follows the log). */
  consumers: ConsumerLag[];
  backups: {
    dir: string;
    count: number;
    last: { name: string; time: string; ageSeconds: number } | null;
  };
  database: { path: string; bytes: number; walBytes: number };
  /** The last integrity check run through GET /api/integrity, null before the first. */
  integrity: IntegrityResult | null;
}

const sizeOf = (file: string) => (existsSync(file) ? statSync(file).size : 0);

/**
 * The log head, each projection's lag, consumers, the newest backup and its age, the last integrity check.
 * @example readHealth({ path: store.path, statuses: store.projectionStatus(), backupDir, maxLag: 0, maxConsumerLag: 10_000, now: new Date(), integrity: null, db: store.db })
 */
export const readHealth = (input: {
  path: string;
  db: Parameters<typeof readConsumerLag>[0];
  statuses: readonly ProjectionStatus[];
  backupDir: string;
  maxLag: number;
  maxConsumerLag: number;
  now: Date;
  integrity: IntegrityResult | null;
}): Health => {
  const head = input.statuses[0]?.head ?? 0;
  const projections = input.statuses.map((s) => ({
    projection: s.projection,
    state: s.state,
    position: s.position ?? null,
    lag: Math.abs(head - (s.position ?? 0)),
  }));
  const consumers = readConsumerLag(input.db, input.now);
  const backups = listBackups(input.path, input.backupDir);
  const last = backups[0];
  // A consumer may lag by design (a nightly exporter), so it has its own threshold, as in `doctor`.
  const ok = projections.every((p) => p.lag <= input.maxLag) && consumers.every((c) => c.lag <= input.maxConsumerLag);
  return {
    ok,
    maxLag: input.maxLag,
    maxConsumerLag: input.maxConsumerLag,
    head,
    projections,
    consumers,
    backups: {
      dir: input.backupDir,
      count: backups.length,
      last: last
        ? {
            name: last.name,
            time: last.time.toISOString(),
            ageSeconds: Math.max(0, Math.round((input.now.getTime() - last.time.getTime()) / 1000)),
          }
        : null,
    },
    database: { path: input.path, bytes: sizeOf(input.path), walBytes: sizeOf(`${input.path}-wal`) },
    integrity: input.integrity,
  };
};
