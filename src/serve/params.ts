import { z } from "zod";
import { isoTime } from "../events/schemas.js";

/**
 * A request the dashboard refuses, with the HTTP status and a one-line message.
 * @example throw new HttpError(400, "INVALID_PARAMETER", "limit: expected an integer from 1 to 100, got \"x\"");
 */
export class HttpError extends Error {
  override name = "HttpError";
  constructor(
    readonly status: 400 | 403 | 404 | 405 | 422 | 500,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** A query string as an object: a key given once is a string, a repeated key a list of its values. */
export const queryObject = (url: URL): Record<string, string | string[]> => {
  const out: Record<string, string | string[]> = {};
  for (const key of new Set(url.searchParams.keys())) {
    const values = url.searchParams.getAll(key);
    out[key] = values.length === 1 ? (values[0] ?? "") : values;
  }
  return out;
};

const describe = (input: unknown): string =>
  typeof input === "string" || Array.isArray(input) ? JSON.stringify(input) : String(input);

/**
 * Parse a query string with a strict zod schema: a bad or unknown parameter is a 400 naming it and its value.
 * @example const { limit } = parseQuery(ImagesQuery, new URL(c.req.url));
 */
export const parseQuery = <S extends z.ZodType>(schema: S, url: URL): z.output<S> => {
  const query = queryObject(url);
  const parsed = schema.safeParse(query);
  if (parsed.success) return parsed.data;
  const message = parsed.error.issues
    .map((issue) => {
      if (issue.code === "unrecognized_keys") return `unknown parameter(s) ${issue.keys.join(", ")}`;
      const name = issue.path.map(String).join(".") || "query";
      const input = issue.path.length > 0 ? Reflect.get(query, String(issue.path[0])) : undefined;
      return `${name}: ${issue.message}${input === undefined ? "" : `, got ${describe(input)}`}`;
    })
    .join("; ");
  throw new HttpError(400, "INVALID_PARAMETER", message);
};

/** A whole number in [min, max] given as decimal digits. */
export const intParam = (min: number, max: number) =>
  z
    .string()
    .regex(/^\d{1,15}$/, `expected an integer from ${min} to ${max}`)
    .transform(Number)
    .refine((n) => n >= min && n <= max, `expected an integer from ${min} to ${max}`);

/** A page size: `fallback` when absent, at most `max`. */
export const limitParam = (fallback: number, max: number) => intParam(1, max).default(fallback);

/** A score from 0 to 10. */
export const scoreParam = z
  .string()
  .regex(/^\d+(\.\d+)?$/, "expected a score from 0 to 10")
  .transform(Number)
  .refine((n) => n <= 10, "expected a score from 0 to 10");

/** An ISO-8601 time with a zone, or a bare date (its UTC midnight), in the stored format. */
export const timeParam = z.string().transform((s, ctx) => {
  const parsed = isoTime.safeParse(/^\d{4}-\d{2}-\d{2}$/.test(s) ? `${s}T00:00:00Z` : s);
  if (parsed.success) return parsed.data;
  ctx.issues.push({
    code: "custom",
    message: "expected an ISO-8601 time with a zone (2026-01-08T12:00:00Z) or a day (2026-01-08)",
    input: s,
  });
  return z.NEVER;
});

/** A UTC day, YYYY-MM-DD, that exists in its month. */
export const dayParam = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}$/, "expected a day YYYY-MM-DD")
  .refine((s) => new Date(`${s}T00:00:00Z`).toISOString().startsWith(s), "expected a day that exists");

/** A text filter: non-empty, bounded. */
export const textParam = z.string().min(1, "expected a non-empty value").max(512, "expected at most 512 characters");

/** A boolean flag: `true` or `false`. */
export const flagParam = z.enum(["true", "false"]).transform((v) => v === "true");

/** The "as of" parameters every page that reads projections takes: at most one of a position and a time. */
export const asOfParams = {
  asOfPosition: intParam(0, Number.MAX_SAFE_INTEGER).optional(),
  asOfTime: timeParam.optional(),
};
export type AsOfQuery = { asOfPosition?: number; asOfTime?: string };

/** Refuse a request that names both an as-of position and an as-of time. */
export const oneAsOf = <T extends AsOfQuery>(q: T): T => {
  if (q.asOfPosition !== undefined && q.asOfTime !== undefined)
    throw new HttpError(400, "INVALID_PARAMETER", "asOfPosition and asOfTime: give one of them, not both");
  return q;
};

/**
 * An opaque paging cursor: the sort key of the last row of a page, as base64url JSON.
 * @example encodeCursor({ s: 9.1, id: 42 }) // "eyJzIjo5LjEsImlkIjo0Mn0"
 */
export const encodeCursor = (key: unknown): string => Buffer.from(JSON.stringify(key)).toString("base64url");

/** A cursor parameter that decodes to `schema`: anything else is "not a cursor this server gave". */
export const cursorParam = <S extends z.ZodType>(schema: S) =>
  z.string().transform((s, ctx): z.output<S> => {
    let decoded: unknown;
    try {
      decoded = JSON.parse(Buffer.from(s, "base64url").toString("utf8"));
    } catch {
      decoded = undefined;
    }
    const parsed = schema.safeParse(decoded);
    if (parsed.success) return parsed.data;
    ctx.issues.push({
      code: "custom",
      message: "not a cursor this server gave (pass back `next` as it came)",
      input: s,
    });
    return z.NEVER;
  });
