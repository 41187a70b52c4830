import type { Db } from "../db/connection.js";
import { CREATION_SESSIONS_SQL, creationSessionsQueries } from "./creationSessions.js";
import { GENERATED_IMAGES_SQL, generatedImagesQueries } from "./generatedImages.js";
import { TRAINING_SESSIONS_SQL, trainingSessionsQueries } from "./trainingSessions.js";

/**
 * The five Common Queries of the schema document, typed, on one connection.
 * @example const q = createQueries(db); q.qualityDistribution();
 */
export const createQueries = (db: Db) => ({
  ...generatedImagesQueries(db),
  ...trainingSessionsQueries(db),
  ...creationSessionsQueries(db),
});
/**
 * The five documented queries of an open store (`store.queries`).
 * @example const tiers = store.queries.qualityDistribution();
 */
export type Queries = ReturnType<typeof createQueries>;

/**
 * The names of the documented queries, for the CLI and the benchmarks.
 * @example for (const name of QUERY_NAMES) console.log(name, store.queries[name]().length);
 */
export const QUERY_NAMES = [
  "recentHighQualityImages",
  "uncuratedImages",
  "qualityDistribution",
  "trainingSessionStatistics",
  "dailyCreationStatistics",
] as const satisfies readonly (keyof Queries)[];
export type { DailyCreationRow } from "./creationSessions.js";
export type { PendingImageRow, QualityTierRow } from "./generatedImages.js";
export type { ImageRow } from "./rows.js";
export type { TrainingStatsRow } from "./trainingSessions.js";

/** The SQL of each documented query, for EXPLAIN QUERY PLAN in doctor. */
export const QUERY_SQL: Record<(typeof QUERY_NAMES)[number], string> = {
  ...GENERATED_IMAGES_SQL,
  ...TRAINING_SESSIONS_SQL,
  ...CREATION_SESSIONS_SQL,
};
