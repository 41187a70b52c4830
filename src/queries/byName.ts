import type { Db } from "../db/connection.js";
import { StoreError } from "../db/errors.js";
import { CREATION_SESSIONS_READS } from "./creationSessions.js";
import { GENERATED_IMAGES_READS } from "./generatedImages.js";
import { QUERY_NAMES, QUERY_SQL, type Queries } from "./index.js";
import { type QueryRead, rowPages } from "./rows.js";
import { TRAINING_SESSIONS_READS } from "./trainingSessions.js";

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

const READS: Record<QueryName, QueryRead<QueryByNameOptions, Record<string, unknown>>> = {
  ...GENERATED_IMAGES_READS,
  ...TRAINING_SESSIONS_READS,
  ...CREATION_SESSIONS_READS,
};

const knownQuery = (name: string): QueryName => {
  const query = findQuery(name);
  if (query === undefined)
    throw new StoreError("INVALID_ARGUMENT", `unknown query "${name}" (known: ${QUERY_NAMES.join(", ")})`, {
      query: name,
    });
  return query;
};

/**
 * Run one documented query by any of its names, with these options (the query's defaults for the rest).
 * @example runQueryByName(past.queries, "qualityDistribution")
 */
export const runQueryByName = (
  queries: Queries,
  name: string,
  options: QueryByNameOptions = {},
): Record<string, unknown>[] => RUN[knownQuery(name)](queries, options);

/**
 * The fields of a documented query's rows, in column order.
 * @example queryColumns("trainingSessionStatistics") // ["name", "datasetSize", "finalLoss", "trainingHours", "status"]
 */
export const queryColumns = (name: string): readonly string[] => READS[knownQuery(name)].columns;

/**
 * One documented query's rows, typed, read through one cursor a page at a time: memory holds
 * a page however many rows the limit lets through (`--limit 100000000`). The rows come from one
 * read snapshot; the connection is busy until the last row is read or the iterator is closed.
 * @example for (const row of iterateQueryByName(store.db, "recent", { limit: 1e8 })) write(row);
 */
export function* iterateQueryByName(
  db: Db,
  name: string,
  options: QueryByNameOptions = {},
  pageSize = 1000,
): Generator<Record<string, unknown>> {
  const query = knownQuery(name);
  const read = READS[query];
  for (const page of rowPages(db.prepare(QUERY_SQL[query]), read.params(options), pageSize))
    yield* read.rows.parse(page);
}
