/**
 * How many daily, weekly and monthly backups to keep.
 * @example planRetention(backups, { daily: 3, weekly: 2, monthly: 6 })
 */
export interface RetentionPolicy {
  daily: number;
  weekly: number;
  monthly: number;
}

/**
 * The schema document's policy: daily backups for 7 days, weekly for a month, monthly for a year.
 * @example planRetention(listBackups("data/ai_artist.db"), DOCUMENT_RETENTION).keep
 */
export const DOCUMENT_RETENTION: RetentionPolicy = { daily: 7, weekly: 4, monthly: 12 };

export type RetentionReason = "newest" | "daily" | "weekly" | "monthly";

/** The ISO-8601 week of a UTC time, e.g. 2026-W02 (weeks start on Monday; week 1 holds the year's first Thursday). */
export const isoWeek = (t: Date): string => {
  // The Thursday of t's week decides the week's year.
  const thursday = new Date(Date.UTC(t.getUTCFullYear(), t.getUTCMonth(), t.getUTCDate()));
  thursday.setUTCDate(thursday.getUTCDate() + 4 - (thursday.getUTCDay() || 7));
  const year = thursday.getUTCFullYear();
  const week = Math.ceil(((thursday.getTime() - Date.UTC(year, 0, 1)) / 86_400_000 + 1) / 7);
  return `${year}-W${String(week).padStart(2, "0")}`;
};

const BUCKETS: Record<Exclude<RetentionReason, "newest">, (t: Date) => string> = {
  daily: (t) => t.toISOString().slice(0, 10),
  weekly: isoWeek,
  monthly: (t) => t.toISOString().slice(0, 7),
};

/**
 * Which backups a retention policy keeps: the newest backup of each of the
 * `daily` most recent days that have one, of each of the `weekly` most recent
 * ISO weeks, and of each of the `monthly` most recent months (UTC), plus the
 * newest backup always. Counting periods that have a backup, not calendar
 * windows, means a machine that stopped backing up for a while still keeps its
 * last good copies. Pure: the same list of times gives the same plan.
 * @example for (const b of planRetention(listBackups("data/ai_artist.db")).remove) rmSync(b.file);
 */
export const planRetention = <T extends { time: Date }>(
  backups: readonly T[],
  policy: RetentionPolicy = DOCUMENT_RETENTION,
) => {
  const newestFirst = [...backups].sort((a, b) => b.time.getTime() - a.time.getTime());
  const reasons = new Map<T, RetentionReason[]>();
  const keep = (b: T, why: RetentionReason) => reasons.set(b, [...(reasons.get(b) ?? []), why]);
  if (newestFirst[0]) keep(newestFirst[0], "newest");
  for (const rule of ["daily", "weekly", "monthly"] as const) {
    const bucketOf = BUCKETS[rule];
    const seen = new Set<string>();
    for (const b of newestFirst) {
      const bucket = bucketOf(b.time);
      if (seen.has(bucket)) continue;
      if (seen.size >= policy[rule]) break;
      seen.add(bucket);
      keep(b, rule);
    }
  }
  return {
    keep: newestFirst.filter((b) => reasons.has(b)).map((b) => ({ backup: b, reasons: reasons.get(b) ?? [] })),
    remove: newestFirst.filter((b) => !reasons.has(b)),
  };
};
