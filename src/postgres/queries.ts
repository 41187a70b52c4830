import { CREATION_SESSIONS_READS } from "../queries/creationSessions.js";
import { GENERATED_IMAGES_READS } from "../queries/generatedImages.js";
import type { QUERY_NAMES } from "../queries/index.js";
import { TRAINING_SESSIONS_READS } from "../queries/trainingSessions.js";
import type { AsyncQueries } from "./asyncStore.js";
import type { Pool } from "./connection.js";

const TIER_ORDER = `CASE tier WHEN 'Excellent' THEN 1 WHEN 'Good' THEN 2 WHEN 'Fair' THEN 3 ELSE 4 END`;

/**
 * The five documented queries in PostgreSQL's SQL, over the same tables, returning the same rows
 * as the SQLite store's (a cross-backend test compares them): camelCase aliases are quoted
 * (PostgreSQL folds names to lower case), is_featured comes back as the 0/1 the row schema
 * reads, and ROUND is round_like_sqlite (db/migrations/postgres: SQLite rounds the double's exact value). A negative limit
 * means no limit, as SQLite's LIMIT -1 does.
 */
export const POSTGRES_QUERY_SQL: Record<(typeof QUERY_NAMES)[number], string> = {
  recentHighQualityImages: `SELECT id, filename, prompt, negative_prompt AS "negativePrompt", source_url AS "sourceUrl",
       source_query AS "sourceQuery", model_id AS "modelId", generation_params AS "generationParams", seed,
       aesthetic_score AS "aestheticScore", clip_score AS "clipScore", technical_score AS "technicalScore",
       final_score AS "finalScore", created_at AS "createdAt", status, is_featured::int AS "isFeatured", tags,
       updated_at AS "updatedAt", diversity_score AS "diversityScore"
     FROM generated_images
     WHERE status = 'curated' AND final_score >= $1
     ORDER BY created_at DESC, id DESC
     LIMIT $2`,
  uncuratedImages: `SELECT id, filename, prompt FROM generated_images
     WHERE status = 'pending'
     ORDER BY created_at ASC, id ASC
     LIMIT $1`,
  qualityDistribution: `SELECT tier AS "qualityTier", images AS count,
       CASE WHEN scored > 0 THEN score_sum / scored END AS "avgScore"
     FROM quality_tiers
     WHERE images > 0
     ORDER BY ${TIER_ORDER}`,
  trainingSessionStatistics: `SELECT
       name,
       dataset_size AS "datasetSize",
       final_loss AS "finalLoss",
       training_time_seconds / 3600.0::float8 AS "trainingHours",
       status
     FROM training_sessions
     ORDER BY started_at DESC, id ASC
     LIMIT $1`,
  dailyCreationStatistics: `SELECT
       day AS date,
       sessions,
       images_created AS "totalCreated",
       images_kept AS "totalKept",
       round_like_sqlite(CASE WHEN avg_scores > 0 THEN avg_score_sum / avg_scores END, 2) AS "avgQuality"
     FROM creation_days
     ORDER BY day DESC
     LIMIT $1`,
};

/** SQLite's LIMIT -1 (no limit) is PostgreSQL's LIMIT NULL. */
const limitOf = (limit: number): number | null => (limit < 0 ? null : limit);

/**
 * The documented queries on a PostgreSQL store, with the SQLite store's defaults and row parsers.
 * @example await createPostgresQueries(pool).recentHighQualityImages({ minScore: 8 })
 */
export const createPostgresQueries = (pool: Pool): AsyncQueries => {
  const rows = async (sql: keyof typeof POSTGRES_QUERY_SQL, values: unknown[]) =>
    (await pool.query(POSTGRES_QUERY_SQL[sql], values)).rows;
  const images = GENERATED_IMAGES_READS;
  return {
    recentHighQualityImages: async (options = {}) => {
      const { minScore, limit } = images.recentHighQualityImages.params(options);
      return images.recentHighQualityImages.rows.parse(
        await rows("recentHighQualityImages", [minScore, limitOf(limit)]),
      );
    },
    uncuratedImages: async (options = {}) =>
      images.uncuratedImages.rows.parse(
        await rows("uncuratedImages", [limitOf(images.uncuratedImages.params(options).limit)]),
      ),
    qualityDistribution: async () => images.qualityDistribution.rows.parse(await rows("qualityDistribution", [])),
    trainingSessionStatistics: async (options = {}) => {
      const read = TRAINING_SESSIONS_READS.trainingSessionStatistics;
      return read.rows.parse(await rows("trainingSessionStatistics", [limitOf(read.params(options).limit)]));
    },
    dailyCreationStatistics: async (options = {}) => {
      const read = CREATION_SESSIONS_READS.dailyCreationStatistics;
      return read.rows.parse(await rows("dailyCreationStatistics", [limitOf(read.params(options).limit)]));
    },
  };
};
