import { Hono } from "hono";
import { StoreError } from "../db/errors.js";
import { defaultBackupDir } from "../maintenance/backup.js";
import type { Store } from "../store/openStore.js";
import { registerApi } from "./api.js";
import { type AsOfLimits, createAsOf } from "./asOf.js";
import { loadAssets } from "./assets.js";
import { createImageFiles } from "./imageFiles.js";
import { HttpError } from "./params.js";

/**
 * What the dashboard serves and how: a store opened read-only, the images folder, the health
 * threshold and the limits of time travel.
 * @example createDashboardApp({ store: openStore({ url, readOnly: true }), imagesDir: "data/images" })
 */
export interface DashboardOptions {
  store: Store;
  imagesDir?: string;
  /** Where the backups are (default: `backups/` beside the database). */
  backupDir?: string;
  /** `/health` answers 503 when a projection lags the log by more than this many events (default 0). */
  maxLag?: number;
  /** `/health` answers 503 when a named consumer lags the log by more than this many events (default 10,000, as doctor). */
  maxConsumerLag?: number;
  asOf?: Partial<AsOfLimits>;
  /** Host names (without port) a request's Host header may name, against DNS rebinding: unset, any. */
  allowedHosts?: readonly string[];
  now?: () => Date;
}

/** The defaults of time travel: see docs/dashboard.md for what a replay costs. */
export const DEFAULT_AS_OF_LIMITS: AsOfLimits = { maxEvents: 250_000, budgetMs: 20_000 };

/** The pages: each is the same HTML shell, whose script draws the page its path names. */
export const PAGES = ["/", "/gallery", "/training", "/timeline", "/stream", "/status"] as const;

const PAGE_CSP =
  "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self'; " +
  "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

/**
 * The dashboard as a Hono app: pages, static files, images and the JSON API, GET only.
 * `app.request(path)` answers without a network (the tests use it); `close()` drops time-travel
 * scratch databases (the store stays the caller's to close).
 * @example const { app, close } = createDashboardApp({ store }); const res = await app.request("/api/overview");
 */
export const createDashboardApp = (options: DashboardOptions) => {
  const { store } = options;
  const assets = loadAssets();
  const images = createImageFiles(options.imagesDir);
  const asOf = createAsOf(store, { ...DEFAULT_AS_OF_LIMITS, ...options.asOf });
  const app = new Hono();

  app.use(async (c, next) => {
    const allowed = options.allowedHosts;
    if (allowed !== undefined && !allowed.includes(new URL(c.req.url).hostname))
      return c.text("refused: unknown Host header (this dashboard answers only to its own address)", 403);
    if (c.req.method !== "GET" && c.req.method !== "HEAD")
      return c.json({ error: "METHOD_NOT_ALLOWED", message: "this dashboard is read-only: GET only" }, 405, {
        Allow: "GET, HEAD",
      });
    await next();
    c.res.headers.set("X-Content-Type-Options", "nosniff");
    c.res.headers.set("Referrer-Policy", "no-referrer");
    c.res.headers.set("Cache-Control", "no-store");
  });

  const shell = assets.web.get("index.html");
  for (const page of PAGES)
    app.get(page, (c) => {
      if (!shell) throw new HttpError(500, "MISSING_ASSET", "web/index.html is missing from the package");
      return c.body(new Uint8Array(shell.body), 200, {
        "Content-Type": shell.type,
        "Content-Security-Policy": PAGE_CSP,
        "X-Frame-Options": "DENY",
      });
    });
  app.get("/static/*", (c) => {
    const asset = assets.web.get(c.req.path.slice("/static/".length));
    if (!asset) throw new HttpError(404, "NOT_FOUND", "no such file");
    return c.body(new Uint8Array(asset.body), 200, { "Content-Type": asset.type });
  });
  app.get("/vendor/:name", (c) => {
    const asset = assets.vendor.get(c.req.param("name"));
    if (!asset) throw new HttpError(404, "NOT_FOUND", "no such file");
    return c.body(new Uint8Array(asset.body), 200, { "Content-Type": asset.type });
  });
  app.get("/images/*", async (c) => {
    const raw = new URL(c.req.url).pathname.slice("/images/".length);
    let name: string;
    try {
      name = decodeURIComponent(raw);
    } catch {
      throw new HttpError(400, "INVALID_PARAMETER", "image name: not a valid percent-encoded path");
    }
    const file = await images.read(name);
    // An SVG opened on its own is a document: it may draw, never run a script.
    return c.body(new Uint8Array(file.body), 200, {
      "Content-Type": file.type,
      "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; sandbox",
    });
  });

  registerApi(app, {
    store,
    asOf,
    images,
    backupDir: options.backupDir ?? defaultBackupDir(store.path),
    maxLag: options.maxLag ?? 0,
    maxConsumerLag: options.maxConsumerLag ?? 10_000,
    now: options.now ?? (() => new Date()),
  });

  app.notFound((c) => c.json({ error: "NOT_FOUND", message: `no route ${c.req.method} ${c.req.path}` }, 404));
  app.onError((e, c) => {
    if (e instanceof HttpError) return c.json({ error: e.code, message: e.message }, e.status);
    if (e instanceof StoreError && e.code === "INVALID_ARGUMENT")
      return c.json({ error: e.code, message: e.message }, 400);
    if (e instanceof StoreError) return c.json({ error: e.code, message: e.message }, 500);
    return c.json({ error: "INTERNAL", message: e.message.split("\n")[0] ?? "" }, 500);
  });

  return { app, close: () => asOf.close() };
};
export type DashboardApp = ReturnType<typeof createDashboardApp>;
