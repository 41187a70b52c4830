import type { EventType } from "./schemas.js";
import { eventTypes } from "./schemas.js";

/**
 * One step from schema version `from` to `from + 1` of an event type's payload.
 * Steps are chained, so a v1 event read by v3 code goes through v1→v2→v3.
 */
type Upcaster = (data: Record<string, unknown>) => Record<string, unknown>;

const upcasters: { [T in EventType]: Record<number, Upcaster> } = {
  ImageGenerated: {},
  // v2 added diversityScore; a v1 curation did not score diversity.
  ImageCurated: { 1: (data) => ({ ...data, diversityScore: null }) },
  TrainingStarted: {},
  TrainingCompleted: {},
  TrainingFailed: {},
  BatchStarted: {},
  BatchFinished: {},
};

/**
 * Bring a stored payload from its schema version up to the newest one.
 * @example upcast("ImageCurated", 1, { filename: "a.png", status: "curated" })
 */
export const upcast = (
  type: EventType,
  schemaVersion: number,
  data: Record<string, unknown>,
): Record<string, unknown> => {
  let current = data;
  for (let v = schemaVersion; v < eventTypes[type].version; v++) {
    const step = upcasters[type][v];
    if (!step) throw new Error(`no upcaster for ${type} from schema version ${v}`);
    current = step(current);
  }
  return current;
};
