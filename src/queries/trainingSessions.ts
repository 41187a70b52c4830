import { z } from "zod";
import type { Db } from "../db/connection.js";
import { type QueryRead, rowReader } from "./rows.js";

/**
 * A row of trainingSessionStatistics: one training run.
 * @example const runs: TrainingStatsRow[] = store.queries.trainingSessionStatistics({ limit: 10 });
 */
export const TrainingStatsRow = z.object({
  name: z.string(),
  datasetSize: z.number().int().nullable(),
  finalLoss: z.number().nullable(),
  trainingHours: z.number().nullable(),
  status: z.enum(["running", "completed", "failed"]),
});
export type TrainingStatsRow = z.output<typeof TrainingStatsRow>;
/** A page of rows parsed in one call (a parse per row pays a call's overhead on each), by a zod-compiled schema. */
const TrainingStatsRows = z.compile(z.array(TrainingStatsRow));

/** The SQL of the documented queries on this table (doctor explains their plans). */
export const TRAINING_SESSIONS_SQL = {
  trainingSessionStatistics: `SELECT
       name,
       dataset_size AS datasetSize,
       final_loss AS finalLoss,
       training_time_seconds / 3600.0 AS trainingHours,
       status
     FROM training_sessions
     ORDER BY started_at DESC, id ASC
     LIMIT @limit`,
};

/** How the query binds its options (with their defaults) and parses its rows. */
export const TRAINING_SESSIONS_READS = {
  trainingSessionStatistics: {
    params: ({ limit = -1 }: { limit?: number }) => ({ limit }),
    rows: TrainingStatsRows,
    columns: Object.keys(TrainingStatsRow.shape),
  },
} satisfies { trainingSessionStatistics: QueryRead<{ limit?: number }, TrainingStatsRow> };

/** The document's query on training_sessions, prepared once per connection. */
export const trainingSessionsQueries = (db: Db) => {
  const stats = rowReader(db.prepare(TRAINING_SESSIONS_SQL.trainingSessionStatistics));
  return {
    /**
     * Every training run, newest first, with its duration in hours.
     * @example store.queries.trainingSessionStatistics()
     */
    trainingSessionStatistics: (options: { limit?: number } = {}): TrainingStatsRow[] =>
      TrainingStatsRows.parse(stats(TRAINING_SESSIONS_READS.trainingSessionStatistics.params(options))),
  };
};
