// Type tests, checked by `tsc --noEmit -p .` (not a vitest file): each @ts-expect-error
// below fails the type check if the line after it ever compiles.
import { match } from "ts-pattern";
import type { StoredEvent } from "../../src/events/envelope.js";
import type { Handlers } from "../../src/projections/handlers.js";

const ignore = (): void => {};

/** Every event type named: the table compiles. */
export const complete: Handlers = {
  ImageGenerated: ignore,
  ImageCurated: ignore,
  TrainingStarted: undefined,
  TrainingCompleted: undefined,
  TrainingFailed: undefined,
  BatchStarted: undefined,
  BatchFinished: undefined,
};

/** A handler table that says nothing about one event type (here BatchFinished) does not compile. */
// @ts-expect-error: property 'BatchFinished' is missing in type
export const missingOne: Handlers = {
  ImageGenerated: ignore,
  ImageCurated: ignore,
  TrainingStarted: undefined,
  TrainingCompleted: undefined,
  TrainingFailed: undefined,
  BatchStarted: undefined,
};

/** A match on the event union with a case for every type compiles. */
export const describeEvent = (event: StoredEvent): string =>
  match(event)
    .with({ type: "ImageGenerated" }, (e) => `generated ${e.data.filename}`)
    .with({ type: "ImageCurated" }, (e) => `curated ${e.data.filename}`)
    .with({ type: "TrainingStarted" }, (e) => `training ${e.data.runId}`)
    .with({ type: "TrainingCompleted" }, (e) => `trained ${e.data.runId}`)
    .with({ type: "TrainingFailed" }, (e) => `failed ${e.data.runId}`)
    .with({ type: "BatchStarted" }, (e) => `batch ${e.data.batchId}`)
    .with({ type: "BatchFinished" }, (e) => `batch done ${e.data.batchId}`)
    .exhaustive();

/** A match that misses a case (here BatchFinished) does not compile at `.exhaustive()`. */
export const describeEventMissingOne = (event: StoredEvent): string =>
  match(event)
    .with({ type: "ImageGenerated" }, (e) => `generated ${e.data.filename}`)
    .with({ type: "ImageCurated" }, (e) => `curated ${e.data.filename}`)
    .with({ type: "TrainingStarted" }, (e) => `training ${e.data.runId}`)
    .with({ type: "TrainingCompleted" }, (e) => `trained ${e.data.runId}`)
    .with({ type: "TrainingFailed" }, (e) => `failed ${e.data.runId}`)
    .with({ type: "BatchStarted" }, (e) => `batch ${e.data.batchId}`)
    // @ts-expect-error: NonExhaustiveError<BatchFinished …>
    .exhaustive();
