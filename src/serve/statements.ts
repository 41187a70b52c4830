import type { Statement } from "better-sqlite3";
import type { Db } from "../db/connection.js";

const caches = new WeakMap<Db, Map<string, Statement>>();

/**
 * A statement prepared once per connection and SQL text: the dashboard builds its SQL from a request's
 * filters, a handful of shapes, each prepared the first time it is asked for.
 * @example prepared(db, "SELECT count(*) FROM events").pluck().get()
 */
export const prepared = (db: Db, sql: string): Statement => {
  let cache = caches.get(db);
  if (!cache) {
    cache = new Map();
    caches.set(db, cache);
  }
  let statement = cache.get(sql);
  if (!statement) {
    statement = db.prepare(sql);
    cache.set(sql, statement);
  }
  return statement;
};
