import { StoreError } from "../db/errors.js";
import { QUERY_NAMES, type Queries } from "./index.js";

/** A documented query's function name (`recentHighQualityImages`). */
export type QueryName = (typeof QUERY_NAMES)[number];

/** The other names each query answers to: the command's long name, then its short one. */
export const QUERY_ALIASES = {
  recentHighQualityImages: ["recent-high-quality-images", "recent"],
  uncuratedImages: ["uncurated-images", "uncurated"],
  qualityDistribution: ["quality-distribution", "quality"],
  trainingSessionStatistics: ["training-session-statistics", "training"],
  dailyCreationStatistics: ["daily-creation-statistics", "daily"],
} as const satisfies Record<QueryName, readonly [long: string, short: string]>;

/** The options a query by name passes on: each query takes those it knows, the others are ignored. */
export interface QueryByNameOptions {
  minScore?: number;
  limit?: number;
}

const RUN: Record<QueryName, (q: Queries, o: QueryByNameOptions) => Record<string, unknown>[]> = {
  recentHighQualityImages: (q, o) => q.recentHighQualityImages({ minScore: o.minScore, limit: o.limit }),
  uncuratedImages: (q, o) => q.uncuratedImages({ limit: o.limit }),
  qualityDistribution: (q) => q.qualityDistribution(),
  trainingSessionStatistics: (q, o) => q.trainingSessionStatistics({ limit: o.limit }),
  dailyCreationStatistics: (q, o) => q.dailyCreationStatistics({ limit: o.limit }),
};

/**
 * The query a name means: its function name, long name or short name.
 * @example findQuery("recent") // "recentHighQualityImages"
 */
export const findQuery = (name: string): QueryName | undefined =>
  QUERY_NAMES.find((q) => q === name || QUERY_ALIASES[q].some((alias) => alias === name));

/**
 * Run one documented query by any of its names, with these options (the query's defaults for the rest).
 * @example runQueryByName(past.queries, "qualityDistribution")
 */
export const runQueryByName = (
  queries: Queries,
  name: string,
  options: QueryByNameOptions = {},
): Record<string, unknown>[] => {
  const query = findQuery(name);
  if (query === undefined)
    throw new StoreError("INVALID_ARGUMENT", `unknown query "${name}" (known: ${QUERY_NAMES.join(", ")})`, {
      query: name,
    });
  return RUN[query](queries, options);
};
