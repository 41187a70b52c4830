import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { StoreError } from "../../src/index.js";
import { WEB_DIR } from "../../src/serve/assets.js";
import { dashboardOf, getJson, storeWith } from "./support.js";

describe("the dashboard refuses bad requests with 400 and a message naming the parameter", () => {
  it.each([
    ["/api/images?limit=1000", 'limit: expected an integer from 1 to 100, got "1000"'],
    ["/api/images?limit=0", 'limit: expected an integer from 1 to 100, got "0"'],
    ["/api/images?limit=ten", 'limit: expected an integer from 1 to 100, got "ten"'],
    ["/api/images?limt=3", "unknown parameter(s) limt"],
    ["/api/images?status=lost", 'status: Invalid option: expected one of "pending"|"curated"|"rejected", got "lost"'],
    ["/api/images?minScore=11", 'minScore: expected a score from 0 to 10, got "11"'],
    ["/api/images?minScore=8&maxScore=2", "maxScore: 2 is below minScore 8"],
    ["/api/images?featured=yes", 'featured: Invalid option: expected one of "true"|"false", got "yes"'],
    ["/api/images?cursor=abc", 'cursor: not a cursor this server gave (pass back `next` as it came), got "abc"'],
    ["/api/images?sort=recent&cursor=eyJzIjozLjIsImlkIjoyfQ", "cursor: a cursor of another sort order than recent"],
    ["/api/images?tag=", 'tag: expected a non-empty value, got ""'],
    [
      "/api/images?status=curated&status=rejected",
      'status: Invalid option: expected one of "pending"|"curated"|"rejected", got ["curated","rejected"]',
    ],
    ["/api/events?limit=201", 'limit: expected an integer from 1 to 200, got "201"'],
    [
      "/api/events?type=ImageDeleted",
      'type.0: Invalid option: expected one of "ImageGenerated"|"ImageCurated"|"TrainingStarted"|"TrainingCompleted"|"TrainingFailed"|"BatchStarted"|"BatchFinished", got "ImageDeleted"',
    ],
    [
      "/api/events?since=yesterday",
      'since: expected an ISO-8601 time with a zone (2026-01-08T12:00:00Z) or a day (2026-01-08), got "yesterday"',
    ],
    ["/api/events?cursor=-1", 'cursor: expected an integer from 1 to 9007199254740991, got "-1"'],
    ["/api/stream", "id: Invalid input: expected string, received undefined"],
    ["/api/overview?from=2026-02-30", 'from: expected a day that exists, got "2026-02-30"'],
    ["/api/overview?from=2026-01-08&to=2026-01-01", "to: 2026-01-01 is before from 2026-01-08"],
    ["/api/overview?from=2024-01-01&to=2026-01-01", "from..to: 732 days, at most 366 per request"],
    ["/api/overview?asOfPosition=3&asOfTime=2026-01-08", "asOfPosition and asOfTime: give one of them, not both"],
    ["/api/overview?asOfPosition=x", 'asOfPosition: expected an integer from 0 to 9007199254740991, got "x"'],
    ["/api/integrity?mode=deep", 'mode: Invalid option: expected one of "quick"|"full", got "deep"'],
    ["/health?verbose=1", "unknown parameter(s) verbose"],
  ])("GET %s", async (path, message) => {
    const { app } = dashboardOf(storeWith());
    expect(await getJson(app, path)).toEqual({ status: 400, body: { error: "INVALID_PARAMETER", message } });
  });

  it("answers an unknown API route with 404 JSON", async () => {
    const { app } = dashboardOf(storeWith());
    expect(await getJson(app, "/api/nothing")).toEqual({
      status: 404,
      body: { error: "NOT_FOUND", message: "no route GET /api/nothing" },
    });
  });
});

describe("the dashboard is read-only", () => {
  it.each(["POST", "PUT", "PATCH", "DELETE"])("refuses %s on every path with 405", async (method) => {
    const { app } = dashboardOf(storeWith());
    for (const path of ["/api/events", "/api/images", "/health", "/", "/images/a.png"]) {
      const response = await app.request(path, { method, body: "{}" });
      expect(response.status).toBe(405);
      expect(response.headers.get("allow")).toBe("GET, HEAD");
    }
  });

  it("reads through a read-only, query_only connection: a write through it fails", () => {
    const { store } = dashboardOf(storeWith());
    expect(store.db.pragma("query_only", { simple: true })).toBe(1);
    expect(store.db.readonly).toBe(true);
    expect(() => store.db.prepare("DELETE FROM generated_images").run()).toThrow(/readonly|read-only/i);
    expect(() => store.emit.batchStarted({ batchId: "b9" })).toThrow(StoreError);
  });

  it("answers only to its own host names when told so (DNS rebinding)", async () => {
    const { app } = dashboardOf(storeWith(), { allowedHosts: ["127.0.0.1", "localhost"] });
    expect((await app.request("http://127.0.0.1:4173/api/info")).status).toBe(200);
    expect((await app.request("http://localhost:4173/health")).status).toBe(200);
    expect((await app.request("http://attacker.example:4173/api/info")).status).toBe(403);
  });

  it("sends pages with a Content-Security-Policy that runs only its own scripts", async () => {
    const { app } = dashboardOf(storeWith());
    for (const path of ["/", "/gallery", "/training", "/timeline", "/stream", "/status"]) {
      const response = await app.request(path);
      expect(response.status).toBe(200);
      expect(response.headers.get("content-type")).toBe("text/html; charset=utf-8");
      expect(response.headers.get("content-security-policy")).toContain("script-src 'self';");
      expect(response.headers.get("x-content-type-options")).toBe("nosniff");
    }
  });
});

describe("the pages' scripts", () => {
  const scripts = (dir: string): string[] =>
    readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
      e.isDirectory() ? scripts(join(dir, e.name)) : e.name.endsWith(".js") ? [join(dir, e.name)] : [],
    );

  it("never parse a string as HTML: every value reaches the page as a text node or an attribute", () => {
    const files = scripts(WEB_DIR);
    expect(files.length).toBeGreaterThanOrEqual(8);
    for (const file of files)
      expect(readFileSync(file, "utf8"), file).not.toMatch(
        /innerHTML|outerHTML|insertAdjacentHTML|document\.write|createContextualFragment|DOMParser|eval\(|new Function/,
      );
  });

  it("are served with their content type, and the vendor bundles of Observable Plot and d3 with them", async () => {
    const { app } = dashboardOf(storeWith());
    for (const path of ["/static/app.js", "/static/pages/gallery.js", "/vendor/plot.js", "/vendor/d3.js"]) {
      const response = await app.request(path);
      expect(response.status, path).toBe(200);
      expect(response.headers.get("content-type")).toBe("text/javascript; charset=utf-8");
    }
    expect((await app.request("/static/style.css")).headers.get("content-type")).toBe("text/css; charset=utf-8");
    expect((await app.request("/static/../package.json")).status).toBe(404);
    expect((await app.request("/static/%2e%2e/package.json")).status).toBe(404);
    expect((await app.request("/vendor/lodash.js")).status).toBe(404);
  });
});
