import { z } from "zod";
import type { Db } from "../db/connection.js";

export const DailyCreationRow = z.object({
  date: z.string(),
  sessions: z.number().int(),
  totalCreated: z.number().int(),
  totalKept: z.number().int(),
  avgQuality: z.number().nullable(),
});
export type DailyCreationRow = z.output<typeof DailyCreationRow>;

/** The SQL of the documented queries on this table (doctor explains their plans). */
export const CREATION_SESSIONS_SQL = {
  dailyCreationStatistics: `SELECT
       DATE(started_at) AS date,
       COUNT(*) AS sessions,
       SUM(images_created) AS totalCreated,
       SUM(images_kept) AS totalKept,
       ROUND(AVG(avg_score), 2) AS avgQuality
     FROM creation_sessions
     GROUP BY DATE(started_at)
     ORDER BY date DESC
     LIMIT @limit`,
};

/** The document's query on creation_sessions, prepared once per connection. */
export const creationSessionsQueries = (db: Db) => {
  const daily = db.prepare(CREATION_SESSIONS_SQL.dailyCreationStatistics);
  return {
    /**
     * Creation batches per UTC day, newest day first.
     * @example store.queries.dailyCreationStatistics({ limit: 7 })
     */
    dailyCreationStatistics: ({ limit = -1 }: { limit?: number } = {}): DailyCreationRow[] =>
      daily.all({ limit }).map((r) => DailyCreationRow.parse(r)),
  };
};
