import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parseEventRow } from "../../src/events/readEvents.js";
import { EVENT_TYPES, type EventType, eventTypes } from "../../src/events/schemas.js";
import { StoreError } from "../../src/index.js";

/** One valid payload of each type, at its newest schema version. */
const valid: { [T in EventType]: Record<string, unknown> } = {
  ImageGenerated: {
    filename: "a.png",
    prompt: "a sunset",
    modelId: "sdxl",
    generationParams: { steps: 30 },
    seed: 7,
    tags: ["sky"],
  },
  ImageCurated: {
    filename: "a.png",
    status: "curated",
    aestheticScore: 7.5,
    clipScore: 0.3,
    technicalScore: null,
    finalScore: 8,
    isFeatured: true,
    diversityScore: 2,
  },
  TrainingStarted: { runId: "r1", name: "style", modelPath: "m.safetensors", config: { lr: 0.0001 }, datasetSize: 100 },
  TrainingCompleted: {
    runId: "r1",
    finalLoss: 0.1,
    trainingTimeSeconds: 60,
    metrics: { loss: [0.5, 0.1] },
    modelPath: "m2.safetensors",
  },
  TrainingFailed: { runId: "r1", reason: "out of memory", trainingTimeSeconds: 5 },
  BatchStarted: { batchId: "b1", theme: "landscapes" },
  BatchFinished: { batchId: "b1", imagesCreated: 10, imagesKept: 4, avgScore: 6.5 },
};

const oddValue = fc.oneof(
  fc.jsonValue(),
  fc.double({ noNaN: true }),
  fc.constantFrom(null, true, false, "", " ", 0, -1, 1, 10, 10.5, 1e308, "curated", "rejected", "pending", [], {}),
);

/** A valid payload with some of its fields removed or replaced, and perhaps an unknown one added. */
const payload = fc.constantFrom(...EVENT_TYPES).chain((type) =>
  fc
    .tuple(
      fc.array(
        fc.tuple(fc.constantFrom(...Object.keys(valid[type]), "unknownField"), fc.option(oddValue, { nil: undefined })),
        { maxLength: 3 },
      ),
    )
    .map(([changes]) => {
      const data: Record<string, unknown> = { ...valid[type] };
      for (const [key, value] of changes) {
        if (value === undefined) delete data[key];
        else data[key] = value;
      }
      return { type, json: JSON.stringify(data) };
    }),
);

const row = (type: EventType, data: string) => [
  1,
  "e1",
  "s1",
  1,
  type,
  eventTypes[type].version,
  data,
  "{}",
  "2026-01-08T12:00:00.000Z",
  "2026-01-08T12:00:00.000Z",
];

describe("parseEventRow", () => {
  it("accepts and rejects payloads exactly as the event's schema does, with the same output and issues", () => {
    fc.assert(
      fc.property(payload, ({ type, json }) => {
        const expected = eventTypes[type].schema.safeParse(JSON.parse(json));
        const read = () => parseEventRow(row(type, json));
        if (expected.success) {
          expect(read().data).toStrictEqual(expected.data);
          return;
        }
        let caught: unknown;
        try {
          read();
        } catch (e) {
          caught = e;
        }
        const why = expected.error.issues.map((i) => `data.${i.path.join(".")}: ${i.message}`).join("; ");
        expect(caught).toBeInstanceOf(StoreError);
        expect(caught).toMatchObject({ code: "CORRUPT_LOG", message: `event at position 1 (${type} on s1): ${why}` });
      }),
      { numRuns: 2000 },
    );
  });
});
