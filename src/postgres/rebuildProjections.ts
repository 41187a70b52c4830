import { brokenChain, chainHash, GENESIS_HASH, linkProblem } from "../events/chain.js";
import { EVENT_COLUMNS, fieldsOf, parseEventRow } from "../events/readEvents.js";
import { LOG_LOCK } from "./appendToStream.js";
import { inTransaction, type Pool } from "./connection.js";
import { withPool } from "./operations.js";
import { POSTGRES_PROJECTIONS, postgresFingerprint, projectOnPostgres } from "./projections.js";
import { redactedUrl } from "./url.js";

const PAGE = `SELECT ${EVENT_COLUMNS}, hash FROM events WHERE position > $1 ORDER BY position LIMIT $2`;

/** What a rebuild on PostgreSQL did. */
export interface PostgresRebuild {
  events: number;
  position: number;
  seconds: number;
}

/**
 * Derive every projection table of a PostgreSQL store again from its log, in one transaction
 * under the log's advisory lock (appends wait; readers see the old tables until the commit):
 * the tables are emptied, each event is checked to extend the hash chain and applied through the
 * very handlers a live append runs, and projection_state records this code at the head. Run it as
 * the schema's owner: the application role may not empty the tables. A broken chain refuses it
 * (CORRUPT_LOG) and nothing changes.
 * @example await rebuildPostgresProjections("postgres://owner@db/artist")
 */
export const rebuildPostgresProjections = (url: string, pageSize = 1000): Promise<PostgresRebuild> =>
  withPool(url, async (pool) => {
    const rebuilt = await rebuildInTransaction(pool, url, pageSize);
    // Tables emptied and filled again: the planner's statistics of them, after the commit (outside the log's lock).
    await pool.query(`ANALYZE ${REBUILT_TABLES.join(", ")}`);
    return rebuilt;
  });

const REBUILT_TABLES = ["generated_images", "training_sessions", "creation_sessions", "quality_tiers", "creation_days"];

const rebuildInTransaction = (pool: Pool, url: string, pageSize: number): Promise<PostgresRebuild> =>
  inTransaction(pool, async (c) => {
    const started = performance.now();
    await c.query(`SELECT pg_advisory_xact_lock($1)`, [LOG_LOCK]);
    await c.query(`TRUNCATE ${REBUILT_TABLES.join(", ")}, projection_state`);
    const link = { position: 0, hash: GENESIS_HASH };
    let events = 0;
    for (;;) {
      const { rows } = await c.query({ text: PAGE, values: [link.position, pageSize], rowMode: "array" });
      for (const row of rows) {
        const fields = fieldsOf(row);
        const hash = chainHash(link.hash, fields);
        const problem = linkProblem(fields, hash);
        if (problem) throw brokenChain(redactedUrl(url), Number(fields[0]), problem);
        const event = parseEventRow(fields);
        await projectOnPostgres(c, event);
        link.position = event.position;
        link.hash = hash;
        events++;
      }
      if (rows.length < pageSize) break;
    }
    for (const name of POSTGRES_PROJECTIONS)
      await c.query(`INSERT INTO projection_state (projection, fingerprint, position) VALUES ($1, $2, $3)`, [
        name,
        postgresFingerprint(name),
        link.position,
      ]);
    return { events, position: link.position, seconds: (performance.now() - started) / 1000 };
  });
