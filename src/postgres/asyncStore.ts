import type { AppendedEvent, NewEvent, StoredEvent } from "../events/envelope.js";
import type { EventPage, ReadAllOptions, ReadStreamOptions } from "../events/readEvents.js";
import type { EventInput, EventType } from "../events/schemas.js";
import type { Queries } from "../queries/index.js";
import type { EmitOptions } from "../store/openStore.js";

type AsyncOf<Q> = { [K in keyof Q]: Q[K] extends (...args: infer A) => infer R ? (...args: A) => Promise<R> : never };
/**
 * The five documented queries of an async store (`store.queries`), each returning a promise.
 * @example const tiers = await store.queries.qualityDistribution();
 */
export type AsyncQueries = AsyncOf<Queries>;

/**
 * One typed emitter per event type, as `store.emit` of the synchronous store, each returning a promise.
 * @example await store.emit.imageGenerated({ filename: "a.png", prompt: "a fox", modelId: "sdxl" })
 */
export type AsyncEmitters = {
  [T in EventType as Uncapitalize<T>]: (data: EventInput[T], options?: EmitOptions) => Promise<AppendedEvent>;
};

/**
 * The store's portable interface: the same calls, results and StoreErrors on SQLite and on
 * PostgreSQL. `openAsyncStore(url)` picks the backend from the URL's scheme.
 * @example const store: AsyncStore = await openAsyncStore("postgres://app@db/artist"); await store.close();
 */
export interface AsyncStore {
  /** Which engine holds the log. */
  readonly backend: "sqlite" | "postgres";
  append(events: readonly NewEvent[]): Promise<AppendedEvent[]>;
  /** Append events that arrive untyped (JSON lines, other languages): validated exactly as typed ones. */
  appendUnknown(events: readonly unknown[]): Promise<AppendedEvent[]>;
  readonly emit: AsyncEmitters;
  readStream(streamId: string, options?: ReadStreamOptions): Promise<StoredEvent[]>;
  readAll(options?: ReadAllOptions): Promise<EventPage>;
  headPosition(): Promise<number>;
  readonly queries: AsyncQueries;
  close(): Promise<void>;
}

/**
 * How to open an async store.
 * @example openAsyncStore("sqlite:data/ai_artist.db", { migrate: true, producer: "farm-node-7" })
 */
export interface OpenAsyncStoreOptions {
  /** Apply pending dbmate migrations first (creating a SQLite file if needed). */
  migrate?: boolean;
  /** Where event times come from when the emitter gives none (tests pin it). */
  clock?: () => Date;
  /** Written into every event's metadata.producer unless the event names one. */
  producer?: string;
  /** Connections to a PostgreSQL server this store may hold at once (default 4). */
  maxConnections?: number;
  /** What to do with stale projections: "warn" (default), "refuse" (STALE_PROJECTIONS) or "ignore" (see OpenStoreOptions.stale). */
  stale?: "warn" | "refuse" | "ignore";
  /** Where warnings go (default: console.warn). */
  onWarning?: (message: string) => void;
}
