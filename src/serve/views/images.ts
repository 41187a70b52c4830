import { z } from "zod";
import type { Db } from "../../db/connection.js";
import { IMAGE_COLUMNS, ImageRow } from "../../queries/rows.js";
import { HttpError } from "../params.js";
import { prepared } from "../statements.js";

/** The gallery's filters; every one optional, combined with AND. */
export interface ImageFilter {
  status?: "pending" | "curated" | "rejected";
  model?: string;
  tag?: string;
  featured?: boolean;
  minScore?: number;
  maxScore?: number;
  /** score: best final score first (unscored last); recent: newest first. */
  sort: "score" | "recent";
  limit: number;
  cursor?: ImageCursor;
}

/** Where a page ends: the sort key of its last image. */
export const ImageCursor = z.union([
  z.strictObject({ s: z.number().nullable(), id: z.number().int() }),
  z.strictObject({ c: z.string(), id: z.number().int() }),
]);
export type ImageCursor = z.output<typeof ImageCursor>;

/** One page of images and the cursor of the next (undefined on the last page). */
export interface ImagePage {
  images: ImageRow[];
  next: ImageCursor | undefined;
}

/** A page of rows parsed in one call, by a zod-compiled schema (as the store's queries do). */
const ImageRows = z.compile(z.array(ImageRow));

/** Matches beyond which walking the sort order beats collecting the matches through their index and sorting them. */
export const MANY_MATCHES = 5000;

/** Whether at least `many` images match `condition` (it counts at most `many` index entries to say so). */
const manyMatch = (db: Db, condition: string, values: Record<string, unknown>, many: number): boolean =>
  Count.parse(
    prepared(db, `SELECT count(*) AS n FROM (SELECT 1 FROM generated_images WHERE ${condition} LIMIT @many)`).get({
      ...values,
      many,
    }),
  ).n >= many;
const Count = z.object({ n: z.number().int() });

const ORDER = {
  // Matches idx_final_score and idx_status_score (rowid ascending within a score): no sort step.
  score: "ORDER BY final_score DESC, id ASC",
  recent: "ORDER BY created_at DESC, id DESC",
} as const;

const cursorCondition = (cursor: ImageCursor, params: Record<string, unknown>): string => {
  params.cursorId = cursor.id;
  if ("c" in cursor) {
    params.cursorCreated = cursor.c;
    return "(created_at < @cursorCreated OR (created_at = @cursorCreated AND id < @cursorId))";
  }
  if (cursor.s === null) return "(final_score IS NULL AND id > @cursorId)";
  params.cursorScore = cursor.s;
  // SQLite sorts NULL below every number: unscored images come after every scored one.
  return "(final_score < @cursorScore OR (final_score = @cursorScore AND id > @cursorId) OR final_score IS NULL)";
};

/**
 * A page of generated_images matching the filter, in the chosen order, by keyset paging:
 * the next page starts after the last row's sort key, so a deep page costs what the first does.
 * `many`: how many matches make a filter walk the sort order instead of its index (tests lower it).
 * @example readImages(store.db, { featured: true, sort: "score", limit: 24 })
 */
export const readImages = (db: Db, filter: ImageFilter, many = MANY_MATCHES): ImagePage => {
  const where: string[] = [];
  const params: Record<string, unknown> = { limit: filter.limit + 1 };
  // A filter the page's order cannot walk (a model, featured; a score range in newest-first order) either
  // finds its few rows through its index, to be sorted, or, when it matches many, is left unindexed (a
  // unary +) so SQLite walks the sort order and stops at the page: sorting 200,000 matches of one model
  // took seconds at a million images (docs/dashboard.md).
  const filterBy = (column: string, condition: string, values: Record<string, unknown>) => {
    Object.assign(params, values);
    where.push(`${manyMatch(db, `${column} ${condition}`, values, many) ? "+" : ""}${column} ${condition}`);
  };
  if (filter.status !== undefined) {
    where.push("status = @status");
    params.status = filter.status;
  }
  if (filter.model !== undefined) filterBy("model_id", "= @model", { model: filter.model });
  if (filter.featured !== undefined) filterBy("is_featured", "= @featured", { featured: filter.featured ? 1 : 0 });
  if (filter.sort === "recent" && filter.minScore !== undefined)
    filterBy("final_score", ">= @minScore", { minScore: filter.minScore });
  else if (filter.minScore !== undefined) {
    where.push("final_score >= @minScore");
    params.minScore = filter.minScore;
  }
  if (filter.sort === "recent" && filter.maxScore !== undefined)
    filterBy("final_score", "<= @maxScore", { maxScore: filter.maxScore });
  else if (filter.maxScore !== undefined) {
    where.push("final_score <= @maxScore");
    params.maxScore = filter.maxScore;
  }
  if (filter.tag !== undefined) {
    where.push("EXISTS (SELECT 1 FROM json_each(tags) WHERE value = @tag)");
    params.tag = filter.tag;
  }
  if (filter.cursor !== undefined) {
    if ((filter.sort === "recent") !== "c" in filter.cursor)
      throw new HttpError(400, "INVALID_PARAMETER", `cursor: a cursor of another sort order than ${filter.sort}`);
    where.push(cursorCondition(filter.cursor, params));
  }
  const sql = `SELECT ${IMAGE_COLUMNS} FROM generated_images
    ${where.length > 0 ? `WHERE ${where.join(" AND ")}` : ""} ${ORDER[filter.sort]} LIMIT @limit`;
  const rows = ImageRows.parse(prepared(db, sql).all(params));
  const images = rows.slice(0, filter.limit);
  const last = images.at(-1);
  const more = rows.length > filter.limit && last !== undefined;
  return {
    images,
    next: !more
      ? undefined
      : filter.sort === "recent"
        ? { c: last.createdAt, id: last.id }
        : { s: last.finalScore, id: last.id },
  };
};

const ModelRow = z.object({ model: z.string().nullable() });

/**
 * Distinct model ids after `after`, in order, at most `limit`: a skip-scan of idx_model_id
 * (one index seek per model), not a scan of every image.
 * @example readModels(store.db, { limit: 50 }) // { models: ["sdxl-1.0", …], next: undefined }
 */
export const readModels = (db: Db, { after, limit }: { after?: string; limit: number }) => {
  const rows = prepared(
    db,
    `WITH RECURSIVE m(model, n) AS (
       SELECT (SELECT min(model_id) FROM generated_images WHERE model_id > @after), 1
       UNION ALL
       SELECT (SELECT min(model_id) FROM generated_images WHERE model_id > m.model), n + 1 FROM m
       WHERE m.model IS NOT NULL AND n <= @limit
     )
     SELECT model FROM m WHERE model IS NOT NULL`,
  )
    .all({ after: after ?? "", limit })
    .map((r) => ModelRow.parse(r).model)
    .filter((m): m is string => m !== null);
  const models = rows.slice(0, limit);
  return { models, next: rows.length > limit ? models.at(-1) : undefined };
};
