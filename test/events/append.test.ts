import { describe, expect, it, onTestFinished } from "vitest";
import { type NewEvent, VersionConflictError } from "../../src/index.js";
import { createTestStore, snapshot, type TestStore } from "../../src/testing/index.js";
import { curated, generated, trainingStarted } from "../fixtures.js";
import { expectStoreError } from "../support.js";

const T = "2026-01-08T12:00:00Z";

/** Run fn, expect a StoreError of `code`, and prove that no table of the database changed. */
const expectRejected = (store: TestStore, fn: () => unknown, code: string, message: RegExp) => {
  const before = snapshot(store);
  expectStoreError(fn, code, message);
  expect(snapshot(store)).toEqual(before);
};

describe("append", () => {
  it("gives gapless global positions and stream versions 1..n", () => {
    const store = createTestStore();
    onTestFinished(store.close);
    const out = store.append([generated("a.png", T), generated("b.png", T), curated("a.png", T), curated("a.png", T)]);
    expect(out.map((e) => [e.position, e.streamId, e.streamVersion])).toEqual([
      [1, "image:a.png", 1],
      [2, "image:b.png", 1],
      [3, "image:a.png", 2],
      [4, "image:a.png", 3],
    ]);
  });

  it("stores the envelope: ids, type, schema version, canonical times, metadata", () => {
    const store = createTestStore({ producer: "pipeline-test" });
    onTestFinished(store.close);
    store.append([
      { ...generated("a.png", "2026-01-08T13:00:00+01:00"), id: "evt-1", metadata: { correlationId: "run-7" } },
    ]);
    const [event] = store.readStream("image:a.png");
    expect(event).toMatchObject({
      position: 1,
      eventId: "evt-1",
      streamId: "image:a.png",
      streamVersion: 1,
      type: "ImageGenerated",
      schemaVersion: 1,
      occurredAt: "2026-01-08T12:00:00.000Z",
      recordedAt: "2026-01-08T12:00:00.000Z",
      metadata: { correlationId: "run-7", producer: "pipeline-test" },
    });
  });

  it("writes the store's producer into untyped and emitted events too, unless the event names one", () => {
    const store = createTestStore({ producer: "pipeline-test" });
    onTestFinished(store.close);
    store.appendUnknown([
      { type: "ImageGenerated", data: { filename: "a.png", prompt: "p", modelId: "m" }, occurredAt: T },
    ]);
    store.emit.imageGenerated(
      { filename: "b.png", prompt: "p", modelId: "m" },
      { occurredAt: T, metadata: { producer: "other" } },
    );
    expect(store.readAll().events.map((e) => e.metadata)).toEqual([
      { producer: "pipeline-test" },
      { producer: "other" },
    ]);
  });

  it("writes a batch all or nothing: one bad event leaves the log and tables untouched", () => {
    const store = createTestStore();
    onTestFinished(store.close);
    store.append([generated("a.png", T)]);
    expectRejected(
      store,
      () => store.append([generated("b.png", T), curated("zzz.png", T)]),
      "STREAM_NOT_FOUND",
      /event 1: ImageCurated for image:zzz.png, which was never started/,
    );
  });

  it("rolls back an event that passed validation but failed in the projection", () => {
    const store = createTestStore();
    onTestFinished(store.close);
    store.append([generated("a.png", T)]);
    // Simulate a projection out of step with the log: the row is gone, so the UPDATE finds nothing.
    store.db.prepare("DELETE FROM generated_images").run();
    const before = snapshot(store);
    expect(() => store.append([curated("a.png", T)])).toThrow(/generated_images has no row for image:a.png/);
    expect(snapshot(store)).toEqual(before);
  });
});

describe("optimistic concurrency", () => {
  it("accepts the expected version and rejects a stale one, naming the stream and both versions", () => {
    const store = createTestStore();
    onTestFinished(store.close);
    store.append([generated("a.png", T)]);
    store.append([{ ...curated("a.png", T), expectedVersion: 1 }]);
    let caught: unknown;
    const before = snapshot(store);
    try {
      store.append([{ ...curated("a.png", T), expectedVersion: 1 }]);
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(VersionConflictError);
    expect(caught).toMatchObject({
      code: "VERSION_CONFLICT",
      streamId: "image:a.png",
      expectedVersion: 1,
      actualVersion: 2,
    });
    expect((caught as Error).message).toBe(
      "version conflict on stream image:a.png: expected version 1, actual version 2",
    );
    expect(snapshot(store)).toEqual(before);
  });

  it("checks expected versions against earlier events of the same batch", () => {
    const store = createTestStore();
    onTestFinished(store.close);
    const batch: NewEvent[] = [
      { ...generated("a.png", T), expectedVersion: 0 },
      { ...curated("a.png", T), expectedVersion: 1 },
      { ...curated("a.png", T), expectedVersion: 1 },
    ];
    expectRejected(store, () => store.append(batch), "VERSION_CONFLICT", /expected version 1, actual version 2/);
  });

  it("expectedVersion 0 means the stream must not exist yet", () => {
    const store = createTestStore();
    onTestFinished(store.close);
    store.append([generated("a.png", T)]);
    expectRejected(
      store,
      () => store.append([{ ...curated("a.png", T), expectedVersion: 0 }]),
      "VERSION_CONFLICT",
      /expected version 0, actual version 1/,
    );
  });
});

describe("idempotent retries", () => {
  it("treats the same id with the same content as a no-op returning the original position", () => {
    const store = createTestStore();
    onTestFinished(store.close);
    const first = store.append([{ ...generated("a.png", T), id: "img-a" }]);
    store.append([generated("b.png", T)]);
    const before = snapshot(store);
    const retry = store.append([{ ...generated("a.png", T), id: "img-a" }]);
    expect(retry).toEqual([{ ...first[0], duplicate: true }]);
    expect(retry[0]?.position).toBe(1);
    expect(snapshot(store)).toEqual(before);
  });

  it("recognises a retry whose JSON keys come in another order", () => {
    const store = createTestStore();
    onTestFinished(store.close);
    store.append([{ ...generated("a.png", T, { generationParams: { width: 1024, steps: 30 } }), id: "img-a" }]);
    const retry = store.append([
      { ...generated("a.png", T, { generationParams: { steps: 30, width: 1024 } }), id: "img-a" },
    ]);
    expect(retry[0]?.duplicate).toBe(true);
  });

  it("rejects the same id with other content", () => {
    const store = createTestStore();
    onTestFinished(store.close);
    store.append([{ ...generated("a.png", T), id: "img-a" }]);
    expectRejected(
      store,
      () => store.append([{ ...generated("a.png", T, { prompt: "another prompt" }), id: "img-a" }]),
      "IDEMPOTENCY_CONFLICT",
      /event id img-a is already in the log at position 1 \(ImageGenerated on image:a.png\) with other content/,
    );
  });
});

describe("stream rules", () => {
  it("rejects a second ImageGenerated for the same filename", () => {
    const store = createTestStore();
    onTestFinished(store.close);
    store.append([generated("a.png", T)]);
    expectRejected(
      store,
      () => store.append([generated("a.png", T)]),
      "STREAM_EXISTS",
      /ImageGenerated for image:a.png, which already exists \(version 1\)/,
    );
  });

  it.each<[string, NewEvent, RegExp]>([
    [
      "curation of an unknown image",
      curated("ghost.png", T),
      /ImageCurated for image:ghost.png, which was never started/,
    ],
    [
      "completion of an unknown training run",
      { type: "TrainingCompleted", data: { runId: "r9" } },
      /TrainingCompleted for training:r9/,
    ],
    [
      "failure of an unknown training run",
      { type: "TrainingFailed", data: { runId: "r9", reason: "OOM" } },
      /TrainingFailed for training:r9/,
    ],
    [
      "end of an unknown batch",
      { type: "BatchFinished", data: { batchId: "b9", imagesCreated: 1, imagesKept: 0 } },
      /BatchFinished for batch:b9/,
    ],
  ])("rejects %s", (_, event, message) => {
    const store = createTestStore();
    onTestFinished(store.close);
    expectRejected(store, () => store.append([event]), "STREAM_NOT_FOUND", message);
  });

  it("rejects events after a training run has ended", () => {
    const store = createTestStore();
    onTestFinished(store.close);
    store.append([trainingStarted("r1", T), { type: "TrainingFailed", data: { runId: "r1", reason: "NaN loss" } }]);
    expectRejected(
      store,
      () => store.emit.trainingCompleted({ runId: "r1" }),
      "STREAM_CLOSED",
      /training:r1, which already ended with TrainingFailed/,
    );
  });
});

describe("validation", () => {
  it.each<[string, unknown, string, RegExp]>([
    [
      "an out-of-range score",
      { type: "ImageCurated", data: { filename: "a.png", status: "curated", finalScore: 10.5 } },
      "INVALID_EVENT",
      /event 0 ImageCurated: data.finalScore: Too big/,
    ],
    [
      "an unknown status",
      { type: "ImageCurated", data: { filename: "a.png", status: "approved" } },
      "INVALID_EVENT",
      /data.status: Invalid option/,
    ],
    [
      "a missing field",
      { type: "ImageGenerated", data: { filename: "a.png", prompt: "p" } },
      "INVALID_EVENT",
      /data.modelId: Invalid input: expected string, received undefined/,
    ],
    [
      "a wrong type",
      { type: "ImageGenerated", data: { filename: "a.png", prompt: "p", modelId: "m", seed: "42" } },
      "INVALID_EVENT",
      /data.seed: Invalid input: expected number/,
    ],
    [
      "an unknown field",
      { type: "BatchStarted", data: { batchId: "b", colour: "red" } },
      "INVALID_EVENT",
      /Unrecognized key: "colour"/,
    ],
    ["an unknown type", { type: "ImageDeleted", data: {} }, "UNKNOWN_EVENT_TYPE", /unknown event type "ImageDeleted"/],
    [
      "a time without zone",
      { type: "BatchStarted", data: { batchId: "b" }, occurredAt: "2026-01-08 12:00:00" },
      "INVALID_EVENT",
      /occurredAt: expected an ISO-8601 time/,
    ],
    [
      "more kept than created",
      { type: "BatchFinished", data: { batchId: "b", imagesCreated: 1, imagesKept: 2 } },
      "INVALID_EVENT",
      /data.imagesKept: imagesKept cannot exceed imagesCreated/,
    ],
    [
      "a payload over 64 KiB",
      { type: "ImageGenerated", data: { filename: "a.png", prompt: "x".repeat(70_000), modelId: "m" } },
      "PAYLOAD_TOO_LARGE",
      /over the 65536-byte limit/,
    ],
    [
      // Fewer characters than the limit, more bytes: the size is counted in UTF-8, not in characters.
      "a payload over 64 KiB in UTF-8 but not in characters",
      { type: "ImageGenerated", data: { filename: "a.png", prompt: "€".repeat(22_000), modelId: "m" } },
      "PAYLOAD_TOO_LARGE",
      /data is 660\d\d bytes, over the 65536-byte limit/,
    ],
  ])("rejects %s with a field-path message and writes nothing", (_, event, code, message) => {
    const store = createTestStore();
    onTestFinished(store.close);
    store.append([generated("a.png", T)]);
    expectRejected(store, () => store.appendUnknown([event]), code, message);
  });
});
