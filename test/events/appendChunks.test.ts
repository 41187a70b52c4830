import { describe, expect, it, onTestFinished } from "vitest";
import type { NewEvent } from "../../src/index.js";
import { createTestStore, snapshot } from "../../src/testing/index.js";
import { curated, generated } from "../fixtures.js";
import { refusal } from "../support.js";

// A batch goes into the log in multi-row INSERTs of fixed sizes (50 events, then 10), and a chunk the log
// refuses is appended again event by event: these pin that nothing of that shows, whatever the
// index of the refused event in its chunk. The batches are long enough for three chunks.
const T = "2026-01-08T12:00:00Z";
const clock = () => new Date(T);
const images = (n: number, prefix = "img"): NewEvent[] =>
  Array.from({ length: n }, (_, i) => ({ ...generated(`${prefix}-${i}.png`, T), id: `${prefix}-${i}` }));

describe("an append of more events than one multi-row INSERT holds", () => {
  it("writes the same log, chain and tables as the same events appended a few at a time", () => {
    const whole = createTestStore({ clock });
    const pieces = createTestStore({ clock });
    onTestFinished(whole.close);
    onTestFinished(pieces.close);
    const events = [
      ...images(130),
      ...Array.from({ length: 30 }, (_, i) => ({ ...curated(`img-${i * 3}.png`, T), id: `c-${i}` })),
    ];
    whole.append(events);
    for (let i = 0; i < events.length; i += 7) pieces.append(events.slice(i, i + 7));
    const log = "SELECT position, event_id, stream_id, stream_version, data, hash FROM events ORDER BY position";
    expect(whole.db.prepare(log).all()).toEqual(pieces.db.prepare(log).all());
    expect(snapshot(whole)).toEqual(snapshot(pieces));
  });

  it("names the event that opens an existing stream by its index in the batch, and writes nothing", () => {
    const store = createTestStore({ clock });
    onTestFinished(store.close);
    store.append([generated("taken.png", T)]);
    const before = snapshot(store);
    const batch = images(150);
    batch[77] = generated("taken.png", T);
    const e = refusal(() => store.append(batch));
    expect(e.code).toBe("STREAM_EXISTS");
    expect(e.message).toMatch(/^event 77: ImageGenerated for image:taken\.png, which already exists \(version 1\)/);
    expect(snapshot(store)).toEqual(before);
  });

  it("reports a version conflict in the middle of a chunk at its index, and writes nothing", () => {
    const store = createTestStore({ clock });
    onTestFinished(store.close);
    store.append([generated("a.png", T)]);
    const before = snapshot(store);
    const batch = images(120);
    batch[60] = { ...curated("a.png", T), expectedVersion: 3 };
    const e = refusal(() => store.append(batch));
    expect(e).toMatchObject({
      code: "VERSION_CONFLICT",
      details: { streamId: "image:a.png", expectedVersion: 3, actualVersion: 1, index: 60 },
    });
    expect(snapshot(store)).toEqual(before);
  });

  it("returns a retry inside a chunk as a duplicate at its old position, the chunk's other events after the log's last", () => {
    const store = createTestStore({ clock });
    onTestFinished(store.close);
    const [first] = store.append(images(1, "old"));
    const batch = images(120);
    batch[55] = images(1, "old")[0] as NewEvent;
    const appended = store.append(batch);
    expect(appended[55]).toMatchObject({ position: first?.position, duplicate: true });
    const fresh = appended.filter((a) => !a.duplicate).map((a) => a.position);
    expect(fresh).toEqual(Array.from({ length: 119 }, (_, i) => i + 2));
    expect(store.db.prepare("SELECT count(*) FROM events").pluck().get()).toBe(120);
  });

  it("refuses a known id with other content inside a chunk as IDEMPOTENCY_CONFLICT at its index, writing nothing", () => {
    const store = createTestStore({ clock });
    onTestFinished(store.close);
    store.append(images(1, "old"));
    const before = snapshot(store);
    const batch = images(120);
    batch[99] = { ...generated("other.png", T), id: "old-0" };
    const e = refusal(() => store.append(batch));
    expect(e).toMatchObject({ code: "IDEMPOTENCY_CONFLICT", details: { eventId: "old-0", position: 1 } });
    expect(e.message).toMatch(/^event 99: /);
    expect(snapshot(store)).toEqual(before);
  });

  it("goes in chunks of 10 when shorter than 50: a refusal in one names its index, a retry in one is a duplicate", () => {
    const store = createTestStore({ clock });
    onTestFinished(store.close);
    const [first] = store.append([generated("taken.png", T), ...images(1, "old")]);
    const before = snapshot(store);
    const refused = images(37);
    refused[23] = generated("taken.png", T);
    const e = refusal(() => store.append(refused));
    expect(e.message).toMatch(/^event 23: ImageGenerated for image:taken\.png, which already exists/);
    expect(snapshot(store)).toEqual(before);

    const retried = images(37);
    retried[14] = images(1, "old")[0] as NewEvent;
    const appended = store.append(retried);
    expect(appended[14]).toMatchObject({ position: (first?.position ?? 0) + 1, duplicate: true });
    expect(appended.filter((a) => !a.duplicate).map((a) => a.position)).toEqual(
      Array.from({ length: 36 }, (_, i) => i + 3),
    );
  });
});
