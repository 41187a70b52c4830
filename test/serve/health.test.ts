import { describe, expect, it } from "vitest";
import { runConsumer } from "../../src/index.js";
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

/** A named consumer that has handled the log up to `through` (its next batch fails), and let its lease go. */
const consumerAt = async (store: ReturnType<typeof storeWith>, name: string, through: number) => {
  const failed = await runConsumer(store, {
    name,
    stopAtHead: true,
    batchSize: through,
    handle: (_events, { from }) => {
      if (from >= through) throw new Error("the thumbnailer's disk is full");
    },
  }).catch((e: unknown) => e);
  expect(failed).toBeInstanceOf(Error);
};

describe("GET /health and the consumers that follow the log", () => {
  it("names each consumer with its position, lag, the age of its oldest unhandled event and its lease", async () => {
    const store = storeWith();
    await runConsumer(store, { name: "exporter", stopAtHead: true, batchSize: 4, handle: () => {} });
    await consumerAt(store, "thumbnailer", 4);
    const { app } = dashboardOf(store);
    const { status, body } = await getJson(app, "/health");
    expect(status).toBe(200);
    expect(body).toMatchObject({
      ok: true,
      head: 10,
      consumers: [
        { name: "exporter", position: 10, lag: 0, lagSeconds: 0, lease: null },
        { name: "thumbnailer", position: 4, lag: 6, lease: null },
      ],
    });
    // The dashboard's clock (support.ts) reads 2026-01-09T00:00Z, after every event of the known log.
    const thumbnailer = (body as { consumers: { lagSeconds: number }[] }).consumers[1];
    expect(thumbnailer?.lagSeconds).toBeGreaterThan(0);
  });

  it("turns 503 when a consumer lags by more than --max-consumer-lag, and stays 200 within it", async () => {
    const store = storeWith();
    await consumerAt(store, "thumbnailer", 4);
    const behind = 6;
    expect(await getJson(dashboardOf(store, { maxConsumerLag: behind }).app, "/health")).toMatchObject({
      status: 200,
      body: { ok: true, maxConsumerLag: behind },
    });
    expect(await getJson(dashboardOf(store, { maxConsumerLag: behind - 1 }).app, "/health")).toMatchObject({
      status: 503,
      body: { ok: false, consumers: [{ name: "thumbnailer", lag: behind }] },
    });
  });
});
