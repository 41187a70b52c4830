import { describe, expect, it, onTestFinished } from "vitest";
import { type NewEvent, StoreError } from "../../src/index.js";
import { createTestStore, snapshot } from "../../src/testing/index.js";
import { batchFinished, batchStarted, curated, generated } from "../fixtures.js";

// The appender skips the stream-head and event-id lookups on the common path and lets
// the log's UNIQUE indexes refuse what they must: these pin the outcomes of the rare paths.
const withIds = (events: NewEvent[], prefix: string): NewEvent[] =>
  events.map((e, i) => ({ ...e, id: `${prefix}-${i}` }));

describe("append without lookups on the common path", () => {
  it("replays a whole batch that opened and closed streams as duplicates at the original positions", () => {
    const store = createTestStore();
    onTestFinished(store.close);
    const batch = withIds(
      [
        batchStarted("b1", "2026-01-08T09:00:00Z"),
        generated("a.png", "2026-01-08T09:01:00Z"),
        curated("a.png", "2026-01-08T09:02:00Z", { finalScore: 7 }),
        batchFinished("b1", "2026-01-08T09:03:00Z", { imagesCreated: 1, imagesKept: 1 }),
      ],
      "x",
    );
    const first = store.append(batch);
    const before = snapshot(store);
    const again = store.append(batch);
    expect(again.map((e) => [e.position, e.duplicate])).toEqual(first.map((e) => [e.position, true]));
    expect(snapshot(store)).toEqual(before);
  });

  it("refuses a second opening of a stream, from another append or the same one, naming its version", () => {
    const store = createTestStore();
    onTestFinished(store.close);
    store.append([generated("a.png", "2026-01-08T09:00:00Z"), curated("a.png", "2026-01-08T09:01:00Z")]);
    const before = snapshot(store);
    expect(() =>
      store.append([generated("b.png", "2026-01-08T09:02:00Z"), generated("a.png", "2026-01-08T09:03:00Z")]),
    ).toThrow(/event 1: ImageGenerated for image:a\.png, which already exists \(version 2\)/);
    expect(() =>
      store.append([generated("c.png", "2026-01-08T09:02:00Z"), generated("c.png", "2026-01-08T09:03:00Z")]),
    ).toThrow(/event 1: ImageGenerated for image:c\.png, which already exists \(version 1\)/);
    expect(snapshot(store)).toEqual(before);
  });

  it("refuses a known id carrying another event, even when it opens a new stream", () => {
    const store = createTestStore();
    onTestFinished(store.close);
    store.append([{ ...generated("a.png", "2026-01-08T09:00:00Z"), id: "same" }]);
    let caught: unknown;
    try {
      store.append([{ ...generated("b.png", "2026-01-08T09:01:00Z"), id: "same" }]);
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(StoreError);
    expect(caught).toMatchObject({ code: "IDEMPOTENCY_CONFLICT", details: { eventId: "same", position: 1 } });
  });

  it("reports expectedVersion 0 on an existing stream as a version conflict, as before", () => {
    const store = createTestStore();
    onTestFinished(store.close);
    store.append([generated("a.png", "2026-01-08T09:00:00Z")]);
    expect(() => store.append([{ ...generated("a.png", "2026-01-08T09:01:00Z"), expectedVersion: 0 }])).toThrow(
      /expected version 0.*1|version 1.*0/,
    );
  });
});
