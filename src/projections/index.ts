import type { Db } from "../db/connection.js";
import type { StoredEvent } from "../events/envelope.js";
import { creationSessionsProjection } from "./creationSessions.js";
import { generatedImagesProjection } from "./generatedImages.js";
import { trainingSessionsProjection } from "./trainingSessions.js";

/** The projection tables, each written by exactly one projection. */
export const PROJECTIONS = {
  generated_images: generatedImagesProjection,
  training_sessions: trainingSessionsProjection,
  creation_sessions: creationSessionsProjection,
} as const;
export type ProjectionName = keyof typeof PROJECTIONS;
export const PROJECTION_NAMES = Object.keys(PROJECTIONS).filter((n): n is ProjectionName => n in PROJECTIONS);

/**
 * One function that applies an event to the chosen projection tables (all by default).
 * Live appends and replays both go through it.
 * @example const project = createProjector(db); project(storedEvent);
 */
export const createProjector = (db: Db, only: readonly ProjectionName[] = PROJECTION_NAMES): ((event: StoredEvent) => void) => {
  const handlers = only.map((name) => PROJECTIONS[name](db));
  return (event) => {
    for (const handle of handlers) handle(event);
  };
};
