import { z } from "zod";
import type { Db } from "../db/connection.js";
import { QUALITY_TIER_CASE } from "../projections/qualityTiers.js";
import { IMAGE_COLUMNS, ImageRow, type QueryRead, rowReader } from "./rows.js";

/**
 * A row of uncuratedImages: an image still pending curation.
 * @example const pending: PendingImageRow[] = store.queries.uncuratedImages({ limit: 20 });
 */
export const PendingImageRow = z.object({ id: z.number().int(), filename: z.string(), prompt: z.string() });
export type PendingImageRow = z.output<typeof PendingImageRow>;

/**
 * A row of qualityDistribution: one quality tier, its image count and average score.
 * @example const tiers: QualityTierRow[] = store.queries.qualityDistribution();
 */
export const QualityTierRow = z.object({
  qualityTier: z.enum(["Excellent", "Good", "Fair", "Poor"]),
  count: z.number().int(),
  avgScore: z.number().nullable(),
});
export type QualityTierRow = z.output<typeof QualityTierRow>;

// A page of rows parsed in one call (a parse per row pays a call's overhead on each), by a zod-compiled schema.
const ImageRows = z.compile(z.array(ImageRow));
const PendingImageRows = z.compile(z.array(PendingImageRow));
const QualityTierRows = z.compile(z.array(QualityTierRow));

const TIER_ORDER = `CASE qualityTier WHEN 'Excellent' THEN 1 WHEN 'Good' THEN 2 WHEN 'Fair' THEN 3 ELSE 4 END`;

/**
 * The document's Quality Distribution query, ordered best tier first (it left the
 * order to GROUP BY). It aggregates every curated image on each call; the store
 * answers from quality_tiers instead, and a test proves both agree.
 */
export const DOCUMENT_QUALITY_DISTRIBUTION_SQL = `SELECT
       ${QUALITY_TIER_CASE} AS qualityTier,
       COUNT(*) AS count,
       AVG(final_score) AS avgScore
     FROM generated_images
     WHERE status = 'curated'
     GROUP BY qualityTier
     ORDER BY ${TIER_ORDER}`;

/** The SQL the store runs for the documented queries on this table (doctor explains their plans). */
export const GENERATED_IMAGES_SQL = {
  // Newest curated first, stopping at the limit: without INDEXED BY the planner takes
  // idx_covering for the score range and sorts every match (docs/performance.md).
  recentHighQualityImages: `SELECT ${IMAGE_COLUMNS} FROM generated_images INDEXED BY idx_status_created
     WHERE status = 'curated' AND final_score >= @minScore
     ORDER BY created_at DESC, id DESC
     LIMIT @limit`,
  uncuratedImages: `SELECT id, filename, prompt FROM generated_images
     WHERE status = 'pending'
     ORDER BY created_at ASC, id ASC
     LIMIT @limit`,
  qualityDistribution: `SELECT tier AS qualityTier, images AS count, CASE WHEN scored > 0 THEN score_sum / scored END AS avgScore
     FROM quality_tiers
     WHERE images > 0
     ORDER BY ${TIER_ORDER}`,
};

/** How each query binds its options (with their defaults) and parses its rows. */
export const GENERATED_IMAGES_READS = {
  recentHighQualityImages: {
    params: ({ minScore = 7.0, limit = 10 }: { minScore?: number; limit?: number }) => ({ minScore, limit }),
    rows: ImageRows,
    columns: Object.keys(ImageRow.shape),
  },
  uncuratedImages: {
    params: ({ limit = 100 }: { limit?: number }) => ({ limit }),
    rows: PendingImageRows,
    columns: Object.keys(PendingImageRow.shape),
  },
  qualityDistribution: {
    params: () => undefined,
    rows: QualityTierRows,
    columns: Object.keys(QualityTierRow.shape),
  },
} satisfies {
  recentHighQualityImages: QueryRead<{ minScore?: number; limit?: number }, ImageRow>;
  uncuratedImages: QueryRead<{ limit?: number }, PendingImageRow>;
  qualityDistribution: QueryRead<object, QualityTierRow>;
};
const READS = GENERATED_IMAGES_READS;

/** The document's queries on generated_images, prepared once per connection. */
export const generatedImagesQueries = (db: Db) => {
  const recent = rowReader(db.prepare(GENERATED_IMAGES_SQL.recentHighQualityImages));
  const pending = rowReader(db.prepare(GENERATED_IMAGES_SQL.uncuratedImages));
  const distribution = rowReader(db.prepare(GENERATED_IMAGES_SQL.qualityDistribution));
  return {
    /**
     * Curated images scoring at least `minScore` (default 7.0), newest first.
     * @example store.queries.recentHighQualityImages({ minScore: 8, limit: 5 })
     */
    recentHighQualityImages: (options: { minScore?: number; limit?: number } = {}): ImageRow[] =>
      ImageRows.parse(recent(READS.recentHighQualityImages.params(options))),
    /**
     * Images still pending curation, oldest first (default 100).
     * @example store.queries.uncuratedImages({ limit: 20 })
     */
    uncuratedImages: (options: { limit?: number } = {}): PendingImageRow[] =>
      PendingImageRows.parse(pending(READS.uncuratedImages.params(options))),
    /**
     * Curated images per quality tier (Excellent ≥ 8, Good ≥ 6, Fair ≥ 4, else Poor), read from quality_tiers.
     * @example store.queries.qualityDistribution()
     */
    qualityDistribution: (): QualityTierRow[] => QualityTierRows.parse(distribution()),
  };
};
