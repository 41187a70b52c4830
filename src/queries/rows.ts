import type { Statement } from "better-sqlite3";
import { z } from "zod";

/**
 * A query's rows as objects keyed by column name, built here from the rows as
 * arrays: better-sqlite3 makes each row object through V8's API, which is slower
 * on queries that return many rows (docs/performance.md). The column
 * names are read and the statement switched to arrays once, when it is prepared.
 * @example const recent = rowReader(db.prepare(sql)); ImageRows.parse(recent({ limit: 10 }))
 */
export const rowReader = (statement: Statement) => {
  const names = statement.columns().map((c) => c.name);
  const raw = statement.raw(true);
  return (params?: Record<string, unknown>): Record<string, unknown>[] => {
    const rows: unknown[] = params === undefined ? raw.all() : raw.all(params);
    return rows.map((values) => {
      const row: Record<string, unknown> = {};
      if (!Array.isArray(values)) return row;
      for (let i = 0; i < names.length; i++) {
        const name = names[i];
        if (name !== undefined) row[name] = values[i];
      }
      return row;
    });
  };
};

/**
 * The rows of a statement through one cursor, a page at a time, keyed like rowReader's:
 * memory holds one page however many rows the statement returns. The cursor keeps its
 * read snapshot (and its connection) until the last page or until the generator is closed.
 * @example for (const page of rowPages(db.prepare(sql), { limit: -1 }, 1000)) send(page);
 */
export function* rowPages(
  statement: Statement,
  params: Record<string, unknown> | undefined,
  pageSize: number,
): Generator<Record<string, unknown>[]> {
  const names = statement.columns().map((c) => c.name);
  const raw = statement.raw(true);
  const cursor: IterableIterator<unknown> = params === undefined ? raw.iterate() : raw.iterate(params);
  let page: Record<string, unknown>[] = [];
  try {
    for (const values of cursor) {
      const row: Record<string, unknown> = {};
      if (Array.isArray(values))
        for (let i = 0; i < names.length; i++) {
          const name = names[i];
          if (name !== undefined) row[name] = values[i];
        }
      page.push(row);
      if (page.length < pageSize) continue;
      yield page;
      page = [];
    }
    if (page.length > 0) yield page;
  } finally {
    cursor.return?.();
  }
}

/**
 * How a documented query binds its options and parses its rows: shared by the query
 * function (every row at once) and the iterator of byName.ts (page by page).
 */
export interface QueryRead<O, R> {
  /** The statement's parameters, defaults filled in (undefined: it has none). */
  params: (options: O) => Record<string, unknown> | undefined;
  /** A page of rows, typed (one zod-compiled parse per page). */
  rows: { parse: (rows: unknown) => R[] };
  /** The row's fields in column order. */
  columns: readonly string[];
}

const jsonText = <T extends z.ZodType>(schema: T) => z.string().transform((s) => schema.parse(JSON.parse(s)));

/**
 * A row of generated_images as the queries return it: camelCase, JSON parsed, booleans real.
 * @example const rows: ImageRow[] = store.queries.recentHighQualityImages({ minScore: 9 });
 */
export const ImageRow = z.object({
  id: z.number().int(),
  filename: z.string(),
  prompt: z.string(),
  negativePrompt: z.string().nullable(),
  sourceUrl: z.string().nullable(),
  sourceQuery: z.string().nullable(),
  modelId: z.string(),
  generationParams: jsonText(z.record(z.string(), z.json())).nullable(),
  seed: z.number().int().nullable(),
  aestheticScore: z.number().nullable(),
  clipScore: z.number().nullable(),
  technicalScore: z.number().nullable(),
  finalScore: z.number().nullable(),
  createdAt: z.string(),
  status: z.enum(["pending", "curated", "rejected"]),
  isFeatured: z.union([z.literal(0), z.literal(1)]).transform((v) => v === 1),
  tags: jsonText(z.array(z.string())).nullable(),
  updatedAt: z.string(),
  diversityScore: z.number().nullable(),
});
export type ImageRow = z.output<typeof ImageRow>;

export const IMAGE_COLUMNS = `id, filename, prompt, negative_prompt AS negativePrompt, source_url AS sourceUrl,
  source_query AS sourceQuery, model_id AS modelId, generation_params AS generationParams, seed,
  aesthetic_score AS aestheticScore, clip_score AS clipScore, technical_score AS technicalScore,
  final_score AS finalScore, created_at AS createdAt, status, is_featured AS isFeatured, tags, updated_at AS updatedAt, diversity_score AS diversityScore`;
