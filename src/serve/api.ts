import type { Hono } from "hono";
import { integrityProblems } from "../db/integrity.js";
import { EVENT_TYPES } from "../events/schemas.js";
import type { Store } from "../store/openStore.js";
import type { AsOf, AsOfView } from "./asOf.js";
import type { ImageFiles } from "./imageFiles.js";
import { type AsOfQuery, encodeCursor, HttpError, oneAsOf, parseQuery } from "./params.js";
import { PAGE_LIMITS, Queries } from "./queries.js";
import { readStreamPage, readTimeline } from "./views/events.js";
import { type Health, type IntegrityResult, readHealth } from "./views/health.js";
import { readImages, readModels } from "./views/images.js";
import { daysInRange, MAX_DAILY_RANGE_DAYS, readOverview } from "./views/overview.js";
import { readTraining } from "./views/training.js";

/** What the API routes read from. */
export interface ApiContext {
  store: Store;
  asOf: AsOf;
  images: ImageFiles;
  backupDir: string;
  maxLag: number;
  maxConsumerLag: number;
  now: () => Date;
}

/** The as-of part of a response: null for the live tables. */
const asOfOf = (view: AsOfView | undefined) =>
  view === undefined
    ? null
    : { position: view.position, events: view.events, replayMs: view.replayMs, requested: view.requested };

/**
 * Register the JSON API: every route a GET, every list paged, every parameter checked by zod.
 * @example registerApi(app, { store, asOf, images, backupDir, maxLag: 0, maxConsumerLag: 10_000, now: () => new Date() })
 */
export const registerApi = (app: Hono, ctx: ApiContext): void => {
  const { store } = ctx;
  let integrity: IntegrityResult | null = null;

  /** The tables the request reads: the live ones, or a replay as of the point it names. */
  const tables = (q: AsOfQuery): { db: Store["db"]; view: AsOfView | undefined } => {
    oneAsOf(q);
    if (q.asOfPosition === undefined && q.asOfTime === undefined) return { db: store.db, view: undefined };
    const view = ctx.asOf.open({ position: q.asOfPosition, time: q.asOfTime });
    return { db: view.db, view };
  };
  /** Run a request's reads in one read transaction: its figures all come from one snapshot, head included. */
  const snapshot = <T>(db: Store["db"], read: () => T): T => db.transaction(read).deferred();
  const url = (raw: string) => new URL(raw);

  app.get("/api/info", (c) =>
    c.json({
      path: store.path,
      head: store.headPosition(),
      imagesDir: ctx.images.dir ?? null,
      maxLag: ctx.maxLag,
      maxConsumerLag: ctx.maxConsumerLag,
      pageLimits: PAGE_LIMITS,
      eventTypes: EVENT_TYPES,
    }),
  );

  app.get("/api/overview", (c) => {
    const q = parseQuery(Queries.overview, url(c.req.url));
    if (q.from !== undefined && q.to !== undefined) {
      const days = daysInRange(q.from, q.to);
      if (days < 1) throw new HttpError(400, "INVALID_PARAMETER", `to: ${q.to} is before from ${q.from}`);
      if (days > MAX_DAILY_RANGE_DAYS)
        throw new HttpError(
          400,
          "INVALID_PARAMETER",
          `from..to: ${days} days, at most ${MAX_DAILY_RANGE_DAYS} per request`,
        );
    }
    const t = tables(q);
    const overview = snapshot(t.db, () =>
      readOverview(t.db, t.view?.position ?? store.headPosition(), { from: q.from, to: q.to }),
    );
    return c.json({ asOf: asOfOf(t.view), ...overview });
  });

  app.get("/api/images", (c) => {
    const { asOfPosition, asOfTime, ...filter } = parseQuery(Queries.images, url(c.req.url));
    if (filter.minScore !== undefined && filter.maxScore !== undefined && filter.maxScore < filter.minScore)
      throw new HttpError(
        400,
        "INVALID_PARAMETER",
        `maxScore: ${filter.maxScore} is below minScore ${filter.minScore}`,
      );
    const t = tables({ asOfPosition, asOfTime });
    const page = snapshot(t.db, () => readImages(t.db, filter));
    return c.json({
      asOf: asOfOf(t.view),
      images: page.images.map((image) => ({ ...image, imageUrl: ctx.images.urlOf(image.filename) })),
      next: page.next === undefined ? null : encodeCursor(page.next),
    });
  });

  app.get("/api/models", (c) => {
    const q = parseQuery(Queries.models, url(c.req.url));
    const t = tables(q);
    const page = readModels(t.db, { after: q.cursor, limit: q.limit });
    return c.json({
      asOf: asOfOf(t.view),
      models: page.models,
      next: page.next === undefined ? null : encodeCursor(page.next),
    });
  });

  app.get("/api/training", (c) => {
    const q = parseQuery(Queries.training, url(c.req.url));
    const t = tables(q);
    const page = snapshot(t.db, () => readTraining(t.db, q));
    return c.json({
      asOf: asOfOf(t.view),
      runs: page.runs,
      next: page.next === undefined ? null : encodeCursor(page.next),
    });
  });

  // The log itself needs no replay: as of a position it is its prefix, as of a time what had occurred by then.
  app.get("/api/events", (c) => {
    const q = oneAsOf(parseQuery(Queries.events, url(c.req.url)));
    const page = readTimeline(store.db, {
      types: q.type,
      stream: q.stream,
      since: q.since,
      until: q.until,
      occurredBy: q.asOfTime,
      before: q.cursor,
      to: q.asOfPosition,
      limit: q.limit,
    });
    return c.json({ events: page.events, next: page.next ?? null });
  });

  app.get("/api/stream", (c) => {
    const q = oneAsOf(parseQuery(Queries.stream, url(c.req.url)));
    const page = readStreamPage(store.db, q.id, {
      after: q.cursor,
      to: q.asOfPosition,
      occurredBy: q.asOfTime,
      limit: q.limit,
    });
    return c.json({ streamId: q.id, events: page.events, next: page.next ?? null });
  });

  const health = (raw: string): { status: 200 | 503; body: Health } => {
    parseQuery(Queries.health, url(raw));
    const body = readHealth({
      path: store.path,
      db: store.db,
      statuses: store.projectionStatus(),
      backupDir: ctx.backupDir,
      maxLag: ctx.maxLag,
      maxConsumerLag: ctx.maxConsumerLag,
      now: ctx.now(),
      integrity,
    });
    return { status: body.ok ? 200 : 503, body };
  };
  // The page's copy always answers 200 (its `ok` says the verdict); monitors read the status of /health.
  app.get("/api/health", (c) => c.json(health(c.req.url).body));
  app.get("/health", (c) => {
    const { status, body } = health(c.req.url);
    return c.json(body, status);
  });

  // Read-only, and on demand: integrity_check reads every page of the file.
  app.get("/api/integrity", (c) => {
    const { mode } = parseQuery(Queries.integrity, url(c.req.url));
    const started = performance.now();
    const problems = integrityProblems(store.db, { quick: mode === "quick" });
    integrity = {
      mode,
      ok: problems.length === 0,
      problems,
      checkedAt: ctx.now().toISOString(),
      ms: Math.round(performance.now() - started),
    };
    return c.json(integrity);
  });
};
