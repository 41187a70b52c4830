// Random event sequences for the reference-model property tests, and their replay against the model
// (SQLite's in property.test.ts, PostgreSQL's in test/postgres/property.test.ts).
import fc from "fast-check";
import { expect } from "vitest";
import { type AppendedEvent, type NewEvent, StoreError } from "../../src/index.js";
import { appendToModel, emptyModel, type ModelState, type Outcome } from "./referenceModel.js";

// Small key pools, so that random sequences collide: duplicates, conflicts, closed and unknown streams.
const filename = fc.constantFrom("a.png", "b.png", "c.png");
const runId = fc.constantFrom("r1", "r2");
const batchId = fc.constantFrom("b1", "b2");
const tenths = (max: number) => fc.integer({ min: 0, max: max * 10 }).map((x) => x / 10);
const hundredths = fc.integer({ min: 0, max: 100 }).map((x) => x / 100);
const rarely = <T>(arb: fc.Arbitrary<T>) =>
  fc.oneof({ weight: 6, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: arb });
const opt = <T>(arb: fc.Arbitrary<T>) => fc.option(arb, { nil: undefined, freq: 2 });
const when = fc.option(
  fc.integer({ min: 0, max: 30 }).map((m) => new Date(Date.UTC(2026, 0, 8, 11, 45 + m)).toISOString()),
  { nil: undefined, freq: 5 },
);

const payloads = {
  ImageGenerated: fc.record(
    {
      filename,
      prompt: fc.constantFrom("a fox", "a lake"),
      modelId: fc.constantFrom("sdxl", "sd15"),
      negativePrompt: opt(fc.constant("blurry")),
      seed: opt(fc.integer({ min: 0, max: 99 })),
      tags: opt(fc.array(fc.constantFrom("x", "y"), { maxLength: 2 })),
      generationParams: opt(fc.constant({ steps: 30 })),
    },
    { requiredKeys: ["filename", "prompt", "modelId"] },
  ),
  ImageCurated: fc.record(
    {
      filename,
      status: fc.constantFrom("pending", "curated", "rejected"),
      aestheticScore: opt(tenths(10)),
      clipScore: opt(hundredths),
      technicalScore: opt(hundredths),
      finalScore: opt(fc.option(tenths(10), { nil: null })),
      isFeatured: opt(fc.boolean()),
      diversityScore: opt(tenths(10)),
    },
    { requiredKeys: ["filename", "status"] },
  ),
  TrainingStarted: fc.record(
    {
      runId,
      name: fc.constant("style"),
      modelPath: fc.constantFrom("m1", "m2"),
      datasetSize: opt(fc.integer({ min: 0, max: 200 })),
    },
    { requiredKeys: ["runId", "name", "modelPath"] },
  ),
  TrainingCompleted: fc.record(
    {
      runId,
      finalLoss: opt(hundredths),
      trainingTimeSeconds: opt(fc.integer({ min: 0, max: 9000 })),
      modelPath: opt(fc.constant("m3")),
    },
    { requiredKeys: ["runId"] },
  ),
  TrainingFailed: fc.record(
    { runId, reason: fc.constantFrom("oom", "nan loss"), trainingTimeSeconds: opt(fc.integer({ min: 0, max: 9000 })) },
    { requiredKeys: ["runId", "reason"] },
  ),
  BatchStarted: fc.record({ batchId, theme: opt(fc.constantFrom("forests", "cities")) }, { requiredKeys: ["batchId"] }),
  BatchFinished: fc
    .record({
      batchId,
      imagesCreated: fc.integer({ min: 0, max: 5 }),
      kept: fc.integer({ min: 0, max: 5 }),
      avgScore: opt(tenths(10)),
    })
    .map(({ kept, ...b }) => ({ ...b, imagesKept: Math.min(kept, b.imagesCreated) })),
};

const envelope = {
  id: fc.oneof(
    { weight: 3, arbitrary: fc.constant(undefined) },
    { weight: 1, arbitrary: fc.constantFrom("e1", "e2", "e3", "e4", "e5", "e6") },
  ),
  expectedVersion: rarely(fc.integer({ min: 0, max: 3 })),
  occurredAt: when,
};
const weights: Record<keyof typeof payloads, number> = {
  ImageGenerated: 4,
  ImageCurated: 5,
  TrainingStarted: 2,
  TrainingCompleted: 1,
  TrainingFailed: 1,
  BatchStarted: 2,
  BatchFinished: 1,
};
const event: fc.Arbitrary<NewEvent> = fc.oneof(
  ...Object.entries(payloads).map(([type, data]) => ({
    weight: weights[type as keyof typeof payloads],
    arbitrary: fc.record({ ...envelope, data }).map((e): NewEvent => ({ ...e, type, data: e.data }) as NewEvent),
  })),
);
/** A random command: a batch of events (often colliding: small key pools), or a retry of an earlier batch. */
export const command = fc.oneof(
  {
    weight: 5,
    arbitrary: fc
      .oneof(
        { weight: 4, arbitrary: event.map((e) => [e]) },
        { weight: 1, arbitrary: fc.array(event, { minLength: 2, maxLength: 3 }) },
      )
      .map((batch) => ({ batch })),
  },
  { weight: 1, arbitrary: fc.nat().map((retry) => ({ retry })) },
);

/**
 * Send each command's batch (a retry resends an earlier one) to `append` and to the reference model,
 * expecting the same outcome each time: the positions, versions and duplicates, or the error code.
 * Returns the model's state after the last, for the tables to be compared with it.
 */
/** One value of `command`. */
type CommandOf = { batch: NewEvent[] } | { retry: number };

export const appendAlongsideModel = async (
  commands: readonly CommandOf[],
  clock: string,
  append: (batch: NewEvent[]) => AppendedEvent[] | Promise<AppendedEvent[]>,
): Promise<ModelState> => {
  let model = emptyModel();
  const sent: NewEvent[][] = [];
  for (const c of commands) {
    const batch = "batch" in c ? c.batch : sent[c.retry % Math.max(sent.length, 1)];
    if (!batch) continue;
    sent.push(batch);
    const expected = appendToModel(model, batch, clock);
    let actual: Outcome;
    try {
      actual = {
        ok: (await append(batch)).map(({ position, streamVersion, duplicate }) => ({
          position,
          streamVersion,
          duplicate,
        })),
      };
    } catch (e) {
      if (!(e instanceof StoreError)) throw e;
      actual = { error: e.code };
    }
    expect(actual).toEqual(expected.outcome);
    model = expected.state;
  }
  return model;
};
