import { z } from "zod";
import type { Db } from "../../db/connection.js";
import { GENERATED_IMAGES_SQL, QualityTierRow } from "../../queries/generatedImages.js";
import { prepared } from "../statements.js";

/** The longest daily range one request may ask for: a year, so the list stays bounded. */
export const MAX_DAILY_RANGE_DAYS = 366;
/** The range shown when none is asked for: the 30 days up to the newest day with a batch. */
export const DEFAULT_DAILY_RANGE_DAYS = 30;

/** One day of the trend: batches that started that day, what they created and kept, and how good it was. */
export const DailyPoint = z.object({
  date: z.string(),
  sessions: z.number().int(),
  created: z.number().int(),
  kept: z.number().int(),
  keepRate: z.number().nullable(),
  avgScore: z.number().nullable(),
});
export type DailyPoint = z.output<typeof DailyPoint>;

/** What the overview page shows. */
export interface Overview {
  head: number;
  totals: {
    events: number;
    images: number;
    pending: number;
    curated: number;
    rejected: number;
    featured: number;
    trainingRuns: number;
    batches: number;
  };
  quality: QualityTierRow[];
  daily: { from: string; to: string; days: DailyPoint[] };
}

const Count = z.object({ n: z.number().int() });
const NewestDay = z.object({ day: z.string().nullable() });

const addDays = (day: string, days: number): string =>
  new Date(Date.parse(`${day}T00:00:00Z`) + days * 86_400_000).toISOString().slice(0, 10);

/** The number of days from `from` to `to`, both counted. */
export const daysInRange = (from: string, to: string): number =>
  Math.round((Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / 86_400_000) + 1;

/**
 * Totals, the quality distribution and the daily trend, from the projection tables of `db`
 * (the live store's or an as-of replay's) whose log reaches position `head` (positions are
 * gapless: it is also the number of events). Every figure comes from an index or a summary
 * table: the counts per status from idx_status and quality_tiers, tiers from quality_tiers, days from
 * creation_days.
 * @example readOverview(store.db, store.headPosition(), { from: "2026-01-01", to: "2026-01-08" })
 */
export const readOverview = (db: Db, head: number, range: { from?: string; to?: string }): Overview => {
  const count = (sql: string) => Count.parse(prepared(db, sql).get()).n;
  // Curated images are counted by quality_tiers already; the other two statuses are a small share of a
  // large store, each counted over its range of idx_status (grouping every image took a second at a million).
  const counts = {
    pending: count("SELECT count(*) AS n FROM generated_images WHERE status = 'pending'"),
    curated: count("SELECT coalesce(sum(images), 0) AS n FROM quality_tiers"),
    rejected: count("SELECT count(*) AS n FROM generated_images WHERE status = 'rejected'"),
  };
  const newest =
    NewestDay.parse(prepared(db, "SELECT max(day) AS day FROM creation_days").get()).day ??
    new Date().toISOString().slice(0, 10);
  const to = range.to ?? (range.from ? addDays(range.from, DEFAULT_DAILY_RANGE_DAYS - 1) : newest);
  const from = range.from ?? addDays(to, -(DEFAULT_DAILY_RANGE_DAYS - 1));
  const days = prepared(
    db,
    `SELECT day AS date, sessions, images_created AS created, images_kept AS kept,
       CASE WHEN images_created > 0 THEN ROUND(CAST(images_kept AS REAL) / images_created, 4) END AS keepRate,
       ROUND(CASE WHEN avg_scores > 0 THEN avg_score_sum / avg_scores END, 2) AS avgScore
     FROM creation_days WHERE day >= @from AND day <= @to ORDER BY day`,
  )
    .all({ from, to })
    .map((r) => DailyPoint.parse(r));
  return {
    head,
    totals: {
      events: head,
      images: counts.pending + counts.curated + counts.rejected,
      ...counts,
      featured: count("SELECT count(*) AS n FROM generated_images WHERE is_featured = 1"),
      trainingRuns: count("SELECT count(*) AS n FROM training_sessions"),
      batches: count("SELECT count(*) AS n FROM creation_sessions"),
    },
    quality: prepared(db, GENERATED_IMAGES_SQL.qualityDistribution)
      .all()
      .map((r) => QualityTierRow.parse(r)),
    daily: { from, to, days },
  };
};
