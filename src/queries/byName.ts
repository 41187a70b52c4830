import { StoreError } from "../db/errors.js";
import { QUERY_NAMES, type Queries } from "./index.js";

type QueryName = (typeof QUERY_NAMES)[number];

/**
 * Run one documented query by name (or all five, with their default options).
 * @example runAsOfQueries(past.queries, "qualityDistribution")
 */
export const runAsOfQueries = (queries: Queries, name?: string): Record<string, unknown[]> => {
  const names: QueryName[] =
    name === undefined ? [...QUERY_NAMES] : [QUERY_NAMES.find((q) => q === name) ?? unknownQuery(name)];
  return Object.fromEntries(names.map((q) => [q, queries[q]()]));
};

const unknownQuery = (name: string): never => {
  throw new StoreError("INVALID_ARGUMENT", `unknown query "${name}" (known: ${QUERY_NAMES.join(", ")})`, {
    query: name,
  });
};
