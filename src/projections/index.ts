import type { Db } from "../db/connection.js";
import type { StoredEvent } from "../events/envelope.js";
import { withCreationDays } from "./creationDays.js";
import { creationSessionsProjection } from "./creationSessions.js";
import { generatedImagesProjection } from "./generatedImages.js";
import { dispatch, type Handlers, routesOf } from "./handlers.js";
import { withQualityTiers } from "./qualityTiers.js";
import { trainingSessionsProjection } from "./trainingSessions.js";

/**
 * A projection: the tables it alone writes, and its handler of each event type
 * for one connection. `create` prepares every statement it will run (they are part of
 * the projection's fingerprint); bump `version` (default 1) when the handler's
 * TypeScript changes what it writes without changing its SQL.
 */
export interface Projection {
  readonly tables: readonly string[];
  readonly create: (db: Db) => Handlers;
  readonly version?: number;
}

/**
 * Every projection of the store. Rebuild, audit and time travel iterate this
 * registry, so a projection added here is covered by all of them.
 */
export const PROJECTIONS = {
  // quality_tiers summarises generated_images and is written by the same handler (see qualityTiers.ts).
  generated_images: {
    tables: ["generated_images", "quality_tiers"],
    create: (db: Db) => withQualityTiers(db, generatedImagesProjection(db)),
  },
  training_sessions: { tables: ["training_sessions"], create: trainingSessionsProjection },
  // creation_days summarises creation_sessions per day and is written by the same handler (see creationDays.ts).
  creation_sessions: {
    tables: ["creation_sessions", "creation_days"],
    create: (db: Db) => withCreationDays(db, creationSessionsProjection(db)),
  },
} as const satisfies Record<string, Projection>;
export type { Handlers } from "./handlers.js";
/** The name of a registered projection: generated_images, training_sessions or creation_sessions. */
export type ProjectionName = keyof typeof PROJECTIONS;
/**
 * The names of the registered projections, in registry order.
 * @example rebuildProjections(store, { only: PROJECTION_NAMES.filter((n) => n !== "training_sessions") })
 */
export const PROJECTION_NAMES = Object.keys(PROJECTIONS).filter((n): n is ProjectionName => n in PROJECTIONS);

/**
 * One function that applies an event to the chosen projections (all by default),
 * each event only to the handlers of its type. Live appends and replays both go
 * through it.
 * @example const project = createProjector(db); project(storedEvent);
 */
export const createProjector = (
  db: Db,
  only: readonly ProjectionName[] = PROJECTION_NAMES,
): ((event: StoredEvent) => void) => {
  const routes = routesOf(only.map((name) => PROJECTIONS[name].create(db)));
  return (event) => dispatch(routes, event);
};
