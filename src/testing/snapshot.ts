import { z } from "zod";
import type { Db } from "../db/connection.js";
import { STATISTICS_TABLES } from "../db/statistics.js";
import { columnsOf, keyOf, quote } from "../db/tableInfo.js";
import type { Store } from "../store/openStore.js";

/**
 * One row of a table, column name to value, as SQLite returns it.
 * @example const row: Row = { filename: "a.png", final_score: 8.2 };
 */
export type Row = Record<string, unknown>;

const Rows = z.array(z.record(z.string(), z.unknown()));
const Names = z.array(z.string());
const NOT_STATISTICS = `name NOT IN (${STATISTICS_TABLES.map((t) => `'${t}'`).join(", ")})`;

/**
 * Every row of a table in primary-key order. A table without a declared key
 * (sqlite_sequence) is ordered by all its columns, not by rowid: SQLite gives a
 * re-inserted row a new rowid, which would reorder rows that did not change.
 */
export const rowsOf = (db: Db, table: string): Row[] => {
  const key = keyOf(db, table);
  const order = key.length === 1 && key[0] === "rowid" ? columnsOf(db, table) : key;
  return Rows.parse(db.prepare(`SELECT * FROM ${quote(table)} ORDER BY ${order.map(quote).join(", ")}`).all());
};

/**
 * Every row of every table of the database (the tables read from sqlite_master
 * when called, so a table added by a migration is included), and the schema
 * itself under `sqlite_master`. Equal snapshots before and after a call prove it
 * wrote nothing at all: not to the log, a projection, a summary table, the
 * projection checkpoint, an AUTOINCREMENT counter or the schema. The planner's statistics
 * (sqlite_stat1, sqlite_stat4) are left out: a writable store refreshes them as it closes.
 * @example const before = snapshot(store); expect(() => store.append(bad)).toThrow(); expect(snapshot(store)).toEqual(before);
 */
export const snapshot = (store: Pick<Store, "db">): Record<string, Row[]> => {
  const { db } = store;
  const tables = Names.parse(
    db.prepare(`SELECT name FROM sqlite_master WHERE type = 'table' AND ${NOT_STATISTICS} ORDER BY name`).pluck().all(),
  );
  const schema = Rows.parse(
    db.prepare(`SELECT type, name, tbl_name, sql FROM sqlite_master WHERE ${NOT_STATISTICS} ORDER BY type, name`).all(),
  );
  return Object.fromEntries([["sqlite_master", schema], ...tables.map((t) => [t, rowsOf(db, t)])]);
};
