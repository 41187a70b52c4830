import { describe, expect, it } from "vitest";
import { openStore } from "../../src/index.js";
import { createAsOf } from "../../src/serve/asOf.js";
import { HttpError } from "../../src/serve/params.js";
import { dashboardOf, getJson, storeWith } from "./support.js";

describe("time travel in the dashboard", () => {
  it("refuses a point that needs more events replayed than --as-of-max-events, with 422 and the numbers", async () => {
    const { app } = dashboardOf(storeWith(), { asOf: { maxEvents: 5 } });
    expect((await getJson(app, "/api/overview?asOfPosition=5")).status).toBe(200);
    expect(await getJson(app, "/api/overview?asOfPosition=6")).toEqual({
      status: 422,
      body: {
        error: "AS_OF_TOO_LARGE",
        message:
          "time travel to this point replays 6 events; this dashboard replays at most 5 (--as-of-max-events): " +
          "ask for an earlier point, or use `artist-store as-of`",
      },
    });
    // The head itself is the live tables: nothing to replay, nothing refused.
    expect((await getJson(app, "/api/overview?asOfPosition=10")).status).toBe(200);
  });

  it("gives up a replay that runs past --as-of-budget-ms, and keeps nothing of it", () => {
    const store = storeWith();
    const readOnly = openStore({ url: store.path, readOnly: true });
    let clock = 0;
    // Each look at the clock is a second later: the first progress report is past a 500 ms budget.
    const asOf = createAsOf(readOnly, { maxEvents: 1000, budgetMs: 500 }, () => (clock += 1000));
    try {
      let caught: unknown;
      try {
        asOf.open({ time: "2026-01-08T10:00:00Z" });
      } catch (e) {
        caught = e;
      }
      expect(caught).toBeInstanceOf(HttpError);
      expect(caught).toMatchObject({
        status: 422,
        code: "AS_OF_TOO_SLOW",
        message:
          "time travel passed its budget of 500 ms after replaying 8 of 8 events (--as-of-budget-ms): ask for an earlier point",
      });
    } finally {
      asOf.close();
      readOnly.close();
    }
  });

  it("replays a point once: the next request at the same point reads the kept replay", () => {
    const store = storeWith();
    const readOnly = openStore({ url: store.path, readOnly: true });
    let clock = 0;
    const asOf = createAsOf(readOnly, { maxEvents: 1000, budgetMs: 60_000 }, () => (clock += 10));
    try {
      const first = asOf.open({ position: 4 });
      expect(first).toMatchObject({ position: 4, events: 4 });
      expect(first.replayMs).toBeGreaterThan(0);
      expect(asOf.open({ position: 4 })).toMatchObject({ position: 4, events: 4, replayMs: 0, db: first.db });
      // Two points are kept; a third drops the oldest, whose scratch database is closed.
      asOf.open({ position: 5 });
      asOf.open({ position: 6 });
      expect(first.db.open).toBe(false);
      expect(asOf.open({ position: 4 }).replayMs).toBeGreaterThan(0);
    } finally {
      asOf.close();
      readOnly.close();
    }
  });
});
