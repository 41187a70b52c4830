import pg from "pg";
import { StoreError } from "../db/errors.js";
import { redactedUrl } from "./url.js";

const INT8 = 20;
const NUMERIC = 1700;

/**
 * Type parsers of the store's connections: bigint and numeric as JavaScript numbers. The
 * store's integers stay within ±(2^53-1) (prepareEvent refuses others), so none is rounded;
 * pg's default returns them as strings. Per pool, not pg.types: other code in the process
 * keeps its own.
 */
const types = {
  getTypeParser: (oid: number, format?: "text" | "binary") =>
    oid === INT8 || oid === NUMERIC ? (v: string) => Number(v) : pg.types.getTypeParser(oid, format),
};

/** A connection pool type the rest of the store names without depending on pg's types. */
export type Pool = pg.Pool;
export type PoolClient = pg.PoolClient;

/**
 * A pool of connections to the database a postgres:// URL names.
 * @example const pool = openPool("postgres://app:secret@db/artist"); await pool.query("SELECT 1");
 */
export const openPool = (url: string, max = 4): pg.Pool => {
  let pool: pg.Pool;
  try {
    // A server that does not answer is an error after a while, not a wait without end.
    pool = new pg.Pool({ connectionString: url, max, types, connectionTimeoutMillis: 30_000 });
  } catch (e) {
    throw new StoreError("INVALID_ARGUMENT", `database URL ${redactedUrl(url)}: ${String(e)}`, {
      url: redactedUrl(url),
    });
  }
  // An idle connection the server drops must not crash the process: the next query reconnects.
  pool.on("error", () => {});
  return pool;
};

/**
 * Run fn inside one transaction on one connection of the pool: COMMIT when it returns,
 * ROLLBACK when it throws (and the error goes on). `begin` may add statements without
 * parameters to the BEGIN, sent in the same round trip.
 */
export const inTransaction = async <T>(
  pool: pg.Pool,
  fn: (client: pg.PoolClient) => Promise<T>,
  begin = "BEGIN",
): Promise<T> => {
  const client = await pool.connect();
  let broken = false;
  try {
    await client.query(begin);
    const result = await fn(client);
    await client.query("COMMIT");
    return result;
  } catch (e) {
    await client.query("ROLLBACK").catch(() => {
      broken = true;
    });
    throw e;
  } finally {
    client.release(broken);
  }
};
