import { z } from "zod";
import type { Db } from "./connection.js";

/**
 * An SQL identifier (table, column, index or schema name) quoted for SQLite.
 * @example quote('my "table"') // "\"my \"\"table\"\"\""
 */
export const quote = (name: string): string => `"${name.replaceAll('"', '""')}"`;

const Names = z.array(z.string());

/**
 * Columns of a table, in declaration order.
 * @example columnsOf(db, "creation_days") // ["day", "sessions", …]
 */
export const columnsOf = (db: Db, table: string): string[] =>
  Names.parse(db.prepare(`SELECT name FROM pragma_table_info(?) ORDER BY cid`).pluck().all(table));

/**
 * The primary-key columns of a table (rowid when it declares none).
 * @example keyOf(db, "creation_days") // ["day"]
 */
export const keyOf = (db: Db, table: string): string[] => {
  const key = Names.parse(
    db.prepare(`SELECT name FROM pragma_table_info(?) WHERE pk > 0 ORDER BY pk`).pluck().all(table),
  );
  return key.length > 0 ? key : ["rowid"];
};

/**
 * The AUTOINCREMENT counter of a table in a schema (`main` or an attached one), or null when it has none yet.
 * @example sequenceOf(db, "generated_images") // 1042
 */
export const sequenceOf = (db: Db, table: string, schema = "main"): unknown =>
  db
    .prepare(`SELECT seq FROM ${quote(schema)}.sqlite_sequence WHERE name = ?`)
    .pluck()
    .get(table) ?? null;

/**
 * The tables of a database, SQLite's own (sqlite_sequence, …) left out, by name.
 * @example tableNames(db) // ["creation_days", "creation_sessions", "events", …]
 */
export const tableNames = (db: Db): string[] =>
  Names.parse(
    db
      .prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")
      .pluck()
      .all(),
  );
