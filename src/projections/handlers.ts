import type { StoredEvent } from "../events/envelope.js";
import type { EventType } from "../events/schemas.js";

/**
 * What a projection does with each event type: a handler, or `undefined` where
 * the type does not concern it. Every key is required, so a new event type fails
 * to compile until each projection says what it does with it: the guarantee of
 * ts-pattern's `.exhaustive()`, checked once when the table is built instead of on
 * every event, where `match` chains were a measurable part of each append's cost
 * (figures: docs/performance.md).
 */
export type Handlers = { readonly [T in EventType]: ((event: StoredEvent<T>) => void) | undefined };

/** The handlers of several projections, each event type's in order, without the types a projection ignores. */
export type Routes = { readonly [T in EventType]: readonly ((event: StoredEvent<T>) => void)[] };

const routeOf = <T extends EventType>(type: T, tables: readonly Handlers[]): ((event: StoredEvent<T>) => void)[] =>
  tables.flatMap((handlers) => {
    const handle: Handlers[T] = handlers[type];
    return handle ? [handle] : [];
  });

export const routesOf = (tables: readonly Handlers[]): Routes => ({
  ImageGenerated: routeOf("ImageGenerated", tables),
  ImageCurated: routeOf("ImageCurated", tables),
  TrainingStarted: routeOf("TrainingStarted", tables),
  TrainingCompleted: routeOf("TrainingCompleted", tables),
  TrainingFailed: routeOf("TrainingFailed", tables),
  BatchStarted: routeOf("BatchStarted", tables),
  BatchFinished: routeOf("BatchFinished", tables),
});

/** Apply one event through its type's route. */
export const dispatch = <T extends EventType>(routes: Routes, event: StoredEvent<T>): void => {
  const route: Routes[T] = routes[event.type];
  for (const handle of route) handle(event);
};
