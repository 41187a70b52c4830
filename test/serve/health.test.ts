import { describe, expect, it } from "vitest";
import { insertChained } from "../support.js";
import { dashboardOf, getJson, storeWith } from "./support.js";

/** An event written into the log without its projection: the tables now lag the log by one event. */
const writeBehindTheProjections = (store: ReturnType<typeof storeWith>) =>
  insertChained(
    store.db,
    "INSERT INTO events (event_id, stream_id, stream_version, type, schema_version, data, occurred_at, recorded_at) " +
      "VALUES ('raw-1', 'batch:b9', 1, 'BatchStarted', 1, '{\"batchId\":\"b9\"}', '2026-01-08T12:00:00.000Z', '2026-01-08T12:00:00.000Z')",
  );

describe("GET /health for monitors", () => {
  it("answers 200 while every projection is at the log head", async () => {
    const { app } = dashboardOf(storeWith());
    expect(await getJson(app, "/health")).toMatchObject({ status: 200, body: { ok: true, head: 10 } });
  });

  it("turns 503 when a projection lags the log by more than --max-lag, naming each projection's lag", async () => {
    const store = storeWith();
    writeBehindTheProjections(store);
    const { app } = dashboardOf(store);
    const lagging = (projection: string) => ({ projection, state: "lag", position: 10, lag: 1 });
    expect(await getJson(app, "/health")).toMatchObject({
      status: 503,
      body: {
        ok: false,
        maxLag: 0,
        head: 11,
        projections: [lagging("generated_images"), lagging("training_sessions"), lagging("creation_sessions")],
      },
    });
    // The page's copy carries the same verdict with a 200, so a browser logs no failed request.
    expect(await getJson(app, "/api/health")).toMatchObject({ status: 200, body: { ok: false, head: 11 } });
  });

  it("stays 200 while the lag is within --max-lag", async () => {
    const store = storeWith();
    writeBehindTheProjections(store);
    const { app } = dashboardOf(store, { maxLag: 1 });
    expect(await getJson(app, "/health")).toMatchObject({ status: 200, body: { ok: true, maxLag: 1 } });
  });
});
