import { z } from "zod";
import type { Db } from "../db/connection.js";
import { type QueryRead, rowReader } from "./rows.js";

/**
 * A row of dailyCreationStatistics: one day's creation sessions.
 * @example const days: DailyCreationRow[] = store.queries.dailyCreationStatistics({ limit: 7 });
 */
export const DailyCreationRow = z.object({
  date: z.string(),
  sessions: z.number().int(),
  totalCreated: z.number().int(),
  totalKept: z.number().int(),
  avgQuality: z.number().nullable(),
});
export type DailyCreationRow = z.output<typeof DailyCreationRow>;
/** A page of rows parsed in one call (a parse per row pays a call's overhead on each), by a zod-compiled schema. */
const DailyCreationRows = z.compile(z.array(DailyCreationRow));

/**
 * The document's Daily Creation Statistics query. It groups every batch on each
 * call; the store answers from creation_days instead, and a test proves both agree.
 */
export const DOCUMENT_DAILY_CREATION_SQL = `SELECT
       DATE(started_at) AS date,
       COUNT(*) AS sessions,
       SUM(images_created) AS totalCreated,
       SUM(images_kept) AS totalKept,
       ROUND(AVG(avg_score), 2) AS avgQuality
     FROM creation_sessions
     GROUP BY DATE(started_at)
     ORDER BY date DESC`;

/** The SQL the store runs for the documented query on this table (doctor explains its plan). */
export const CREATION_SESSIONS_SQL = {
  dailyCreationStatistics: `SELECT
       day AS date,
       sessions,
       images_created AS totalCreated,
       images_kept AS totalKept,
       ROUND(CASE WHEN avg_scores > 0 THEN avg_score_sum / avg_scores END, 2) AS avgQuality
     FROM creation_days
     ORDER BY day DESC
     LIMIT @limit`,
};

/** How the query binds its options (with their defaults) and parses its rows. */
export const CREATION_SESSIONS_READS = {
  dailyCreationStatistics: {
    params: ({ limit = -1 }: { limit?: number }) => ({ limit }),
    rows: DailyCreationRows,
    columns: Object.keys(DailyCreationRow.shape),
  },
} satisfies { dailyCreationStatistics: QueryRead<{ limit?: number }, DailyCreationRow> };

/** The document's query on creation_sessions, answered from the creation_days summary, prepared once per connection. */
export const creationSessionsQueries = (db: Db) => {
  const daily = rowReader(db.prepare(CREATION_SESSIONS_SQL.dailyCreationStatistics));
  return {
    /**
     * Creation batches per UTC day, newest day first, read from creation_days.
     * @example store.queries.dailyCreationStatistics({ limit: 7 })
     */
    dailyCreationStatistics: (options: { limit?: number } = {}): DailyCreationRow[] =>
      DailyCreationRows.parse(daily(CREATION_SESSIONS_READS.dailyCreationStatistics.params(options))),
  };
};
