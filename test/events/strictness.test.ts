import { describe, expect, it, onTestFinished } from "vitest";
import { EVENT_TYPES, type EventType } from "../../src/events/schemas.js";
import { createTestStore } from "../../src/testing/index.js";
import { expectStoreError } from "../support.js";

const T = "2026-01-08T12:00:00Z";

/**
 * A valid payload of every event type, each on a stream the store below has
 * opened (and not closed) where the type needs one, so that the payload alone
 * decides whether the append goes through.
 */
const VALID: { [K in EventType]: Record<string, unknown> } = {
  ImageGenerated: { filename: "new.png", prompt: "a fox in snow", modelId: "sdxl-1.0" },
  ImageCurated: { filename: "open.png", status: "curated", finalScore: 7 },
  TrainingStarted: { runId: "new-run", name: "new-run", modelPath: "models/new.safetensors" },
  TrainingCompleted: { runId: "open-run", finalLoss: 0.1 },
  TrainingFailed: { runId: "open-run", reason: "out of memory" },
  BatchStarted: { batchId: "new-batch" },
  BatchFinished: { batchId: "open-batch", imagesCreated: 2, imagesKept: 1 },
};

const storeWithOpenStreams = () => {
  const store = createTestStore();
  onTestFinished(store.close);
  store.appendUnknown([
    { type: "ImageGenerated", occurredAt: T, data: { filename: "open.png", prompt: "p", modelId: "m" } },
    { type: "TrainingStarted", occurredAt: T, data: { runId: "open-run", name: "r", modelPath: "m" } },
    { type: "BatchStarted", occurredAt: T, data: { batchId: "open-batch" } },
  ]);
  return store;
};

describe("every event type refuses a payload field it does not define", () => {
  it("covers each of the event types", () => {
    expect(Object.keys(VALID)).toEqual([...EVENT_TYPES]);
  });

  it.each(EVENT_TYPES)("%s: an unknown field is INVALID_EVENT naming it, and nothing is written", (type) => {
    const store = storeWithOpenStreams();
    const head = store.headPosition();
    expectStoreError(
      () => store.appendUnknown([{ type, occurredAt: T, data: { ...VALID[type], colour: "blue" } }]),
      "INVALID_EVENT",
      /^event 0 .*data: Unrecognized key: "colour"/,
    );
    expect(store.headPosition()).toBe(head);
    // The same payload without the field goes through: the field alone was refused.
    store.appendUnknown([{ type, occurredAt: T, data: VALID[type] }]);
    expect(store.headPosition()).toBe(head + 1);
  });
});
