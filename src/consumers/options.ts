import { z } from "zod";
import { StoreError } from "../db/errors.js";
import { EVENT_TYPES, type EventType, isEventType } from "../events/schemas.js";
import { type ConsumerStart, checkConsumerName, defaultHolder } from "./checkpoints.js";

/**
 * What every consumer is configured with, whichever way it is run (a handler, `follow`).
 * @example { name: "thumbnailer", types: ["ImageCurated"], from: "beginning", batchSize: 100 }
 */
export interface ConsumerOptions<T extends EventType = EventType> {
  /** The consumer's name: its checkpoint row. 1 to 200 characters. */
  name: string;
  /** Only events of these types (default: every type). */
  types?: readonly T[];
  /** Only events of streams whose id starts with this (`image:`, `training:`, `batch:b1`). */
  streamPrefix?: string;
  /** Where a consumer that does not exist yet starts (default "beginning"); an existing one resumes after its checkpoint. */
  from?: ConsumerStart;
  /** Events per batch (default 250): the most an at-least-once handler is given again after a crash. */
  batchSize?: number;
  /** Length of the lease in milliseconds (default 10,000): how long a crashed holder blocks a takeover. */
  leaseMs?: number;
  /** This process's name in the lease (default host:pid:random). */
  holder?: string;
  /** Stop between batches when this aborts. */
  signal?: AbortSignal;
  /** The fallback poll behind the file watch, in milliseconds (default 250). */
  pollMs?: number;
  /** Where notes go (waiting for a lease held elsewhere, no file watch): default console.warn. */
  onWarning?: (message: string) => void;
}

export interface ParsedOptions<T extends EventType> {
  name: string;
  types: readonly T[] | undefined;
  streamPrefix: string | undefined;
  from: ConsumerStart;
  batchSize: number;
  leaseMs: number;
  holder: string;
  signal: AbortSignal | undefined;
  pollMs: number;
  onWarning: (message: string) => void;
}

const invalid = (field: string, expected: string, value: unknown): StoreError =>
  new StoreError("INVALID_ARGUMENT", `${field} must be ${expected}, got ${JSON.stringify(value) ?? String(value)}`, {
    field,
    value,
  });

const integerIn = (field: string, value: unknown, min: number, max: number, fallback: number): number => {
  if (value === undefined) return fallback;
  if (typeof value !== "number" || !Number.isSafeInteger(value) || value < min || value > max)
    throw invalid(field, `an integer from ${min} to ${max}`, value);
  return value;
};

const Start = z.union([z.literal("beginning"), z.literal("end"), z.number().int().min(1)]);

/** Check a start point given at a boundary (an option, a command-line value). */
export const parseStart = (value: unknown, field = "from"): ConsumerStart => {
  const parsed = Start.safeParse(value);
  if (!parsed.success) throw invalid(field, `"beginning", "end" or a position from 1`, value);
  return parsed.data;
};

/** Check event types given at a boundary against the catalogue. */
export const parseTypes = <T extends EventType>(types: readonly T[] | undefined): readonly T[] | undefined => {
  if (types === undefined) return undefined;
  if (!Array.isArray(types)) throw invalid("types", "a list of event types", types);
  const unknown = types.find((t) => !isEventType(t));
  if (unknown !== undefined) throw invalid("types", `event types (known: ${EVENT_TYPES.join(", ")})`, unknown);
  return types.length === 0 ? undefined : types;
};

/** Every option checked, defaults filled in: a bad one is one INVALID_ARGUMENT naming it. */
export const parseConsumerOptions = <T extends EventType>(options: ConsumerOptions<T>): ParsedOptions<T> => {
  if (typeof options !== "object" || options === null) throw invalid("options", "an object", options);
  const { streamPrefix, holder } = options;
  if (streamPrefix !== undefined && (typeof streamPrefix !== "string" || streamPrefix === ""))
    throw invalid("streamPrefix", "a non-empty string", streamPrefix);
  if (holder !== undefined && (typeof holder !== "string" || holder.length < 1 || holder.length > 200))
    throw invalid("holder", "1 to 200 characters", holder);
  return {
    name: checkConsumerName(options.name),
    types: parseTypes(options.types),
    streamPrefix,
    from: options.from === undefined ? "beginning" : parseStart(options.from),
    batchSize: integerIn("batchSize", options.batchSize, 1, 100_000, 250),
    leaseMs: integerIn("leaseMs", options.leaseMs, 100, 86_400_000, 10_000),
    holder: holder ?? defaultHolder(),
    signal: options.signal,
    pollMs: integerIn("pollMs", options.pollMs, 1, 60_000, 250),
    onWarning: options.onWarning ?? ((message) => console.warn(`ai-artist-store: ${message}`)),
  };
};

/** A start point given for a consumer that already exists is not used: say where it resumes instead. */
export const noteIgnoredStart = (
  options: { from?: ConsumerStart },
  ensured: { created: boolean; row: { name: string; position: number } },
  onWarning: (message: string) => void,
): void => {
  if (ensured.created || options.from === undefined) return;
  onWarning(
    `consumer ${ensured.row.name} exists: it resumes after its checkpoint ${ensured.row.position} ` +
      "(a start point applies to a new consumer; reset it to move it)",
  );
};
