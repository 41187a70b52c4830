import type { StoredEvent } from "../events/envelope.js";
import {
  EVENT_COLUMNS,
  type EventPage,
  parseEventRow,
  type ReadAllOptions,
  type ReadStreamOptions,
} from "../events/readEvents.js";
import type { Pool } from "./connection.js";

const BY_STREAM = `SELECT ${EVENT_COLUMNS} FROM events WHERE stream_id = $1 AND stream_version >= $2 ORDER BY stream_version LIMIT $3`;
const BY_POSITION = `SELECT ${EVENT_COLUMNS} FROM events WHERE position > $1 AND position <= $2 ORDER BY position LIMIT $3`;

/** Rows as arrays, in EVENT_COLUMNS order, as parseEventRow reads them (the SQLite reader's `.raw()` rows). */
const rowsOf = async (pool: Pool, text: string, values: unknown[]): Promise<StoredEvent[]> =>
  (await pool.query({ text, values, rowMode: "array" })).rows.map(parseEventRow);

/**
 * The log of a PostgreSQL store, read as the SQLite store reads its own: the same parse and
 * upcast of each row, the same pages.
 * @example const log = createPostgresLogReader(pool); (await log.readAll({ after: 10 })).events
 */
export const createPostgresLogReader = (pool: Pool) => ({
  readStream: (streamId: string, options: ReadStreamOptions = {}): Promise<StoredEvent[]> =>
    rowsOf(pool, BY_STREAM, [streamId, options.fromVersion ?? 1, options.limit ?? null]),
  readAll: async (options: ReadAllOptions = {}): Promise<EventPage> => {
    const limit = options.limit ?? 1000;
    const events = await rowsOf(pool, BY_POSITION, [options.after ?? 0, options.to ?? Number.MAX_SAFE_INTEGER, limit]);
    const last = events.at(-1);
    return { events, next: events.length === limit && last ? last.position : undefined };
  },
  headPosition: async (): Promise<number> =>
    Number(
      (await pool.query<{ head: number }>(`SELECT coalesce(max(position), 0) AS head FROM events`)).rows[0]?.head ?? 0,
    ),
});
