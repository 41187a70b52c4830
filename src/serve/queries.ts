import { z } from "zod";
import { EVENT_TYPES } from "../events/schemas.js";
import {
  asOfParams,
  cursorParam,
  dayParam,
  flagParam,
  intParam,
  limitParam,
  scoreParam,
  textParam,
  timeParam,
} from "./params.js";
import { ImageCursor } from "./views/images.js";
import { TrainingCursor } from "./views/training.js";

/** The most rows one request returns, per list. */
export const PAGE_LIMITS = { images: 100, training: 100, models: 100, events: 200, stream: 500 } as const;

const eventType = z.enum(EVENT_TYPES);
const types = z
  .union([z.string(), z.array(z.string())])
  .transform((v) => (Array.isArray(v) ? v : [v]).flatMap((s) => s.split(",")).filter((s) => s !== ""))
  .pipe(z.array(eventType).max(EVENT_TYPES.length));

/** The query string each API route accepts: strict, so a misspelt parameter is refused, not ignored. */
export const Queries = {
  overview: z.strictObject({ from: dayParam.optional(), to: dayParam.optional(), ...asOfParams }),
  images: z.strictObject({
    status: z.enum(["pending", "curated", "rejected"]).optional(),
    model: textParam.optional(),
    tag: textParam.optional(),
    featured: flagParam.optional(),
    minScore: scoreParam.optional(),
    maxScore: scoreParam.optional(),
    sort: z.enum(["score", "recent"]).default("score"),
    limit: limitParam(24, PAGE_LIMITS.images),
    cursor: cursorParam(ImageCursor).optional(),
    ...asOfParams,
  }),
  models: z.strictObject({
    limit: limitParam(50, PAGE_LIMITS.models),
    cursor: cursorParam(z.string()).optional(),
    ...asOfParams,
  }),
  training: z.strictObject({
    status: z.enum(["running", "completed", "failed"]).optional(),
    limit: limitParam(20, PAGE_LIMITS.training),
    cursor: cursorParam(TrainingCursor).optional(),
    ...asOfParams,
  }),
  events: z.strictObject({
    type: types.optional(),
    stream: textParam.optional(),
    since: timeParam.optional(),
    until: timeParam.optional(),
    limit: limitParam(50, PAGE_LIMITS.events),
    cursor: intParam(1, Number.MAX_SAFE_INTEGER).optional(),
    ...asOfParams,
  }),
  stream: z.strictObject({
    id: textParam,
    limit: limitParam(200, PAGE_LIMITS.stream),
    cursor: intParam(1, Number.MAX_SAFE_INTEGER).optional(),
    ...asOfParams,
  }),
  health: z.strictObject({}),
  integrity: z.strictObject({ mode: z.enum(["quick", "full"]).default("quick") }),
};
