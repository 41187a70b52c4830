import { z } from "zod";
import type { Db } from "../db/connection.js";
import { columnsOf, keyOf, quote, sequenceOf } from "../db/tableInfo.js";
import { ASIDE } from "./tables.js";

export type Row = Record<string, unknown>;
const Rows = z.array(z.record(z.string(), z.unknown()));

/** One row present on both sides with other values: its key and, per differing column, both values. */
export interface DifferingRow {
  key: Row;
  columns: { column: string; live: unknown; replayed: unknown }[];
}

/** How one live table departs from the replayed log. Lists are capped at `maxRows`; counts are exact. */
export interface TableDrift {
  table: string;
  /** The columns that identify a row (the primary key). */
  key: string[];
  /** Rows the log implies that the live table lacks (the replayed row). */
  missing: Row[];
  /** Rows in the live table that the log does not imply (the live row). */
  extra: Row[];
  differing: DifferingRow[];
  counts: { missing: number; extra: number; differing: number };
  /** The AUTOINCREMENT counters, when they differ. */
  sequence?: { live: unknown; replayed: unknown };
}

/**
 * Compare `main.<table>` (live) with the same table of the attached scratch
 * (replayed), row by row on the primary key; values equal only with the same
 * storage class (`IS` alone would take 9 and 9.0 as equal).
 */
export const compareTable = (db: Db, table: string, maxRows: number): TableDrift => {
  const key = keyOf(db, table);
  const columns = columnsOf(db, table);
  const t = quote(table);
  const sameKey = key.map((k) => `l.${quote(k)} IS r.${quote(k)}`).join(" AND ");
  const keyList = (alias: string) => key.map((k) => `${alias}.${quote(k)} AS ${quote(k)}`).join(", ");
  const order = (alias: string) => key.map((k) => `${alias}.${quote(k)}`).join(", ");
  const onlyIn = (from: string, other: string, alias: string, otherAlias: string) =>
    `FROM ${from}.${t} ${alias} WHERE NOT EXISTS (SELECT 1 FROM ${other}.${t} ${otherAlias} WHERE ${sameKey})`;
  const missingSql = onlyIn(ASIDE, "main", "r", "l");
  const extraSql = onlyIn("main", ASIDE, "l", "r");
  const rowOf = (alias: string) =>
    [keyList(alias), ...columns.filter((c) => !key.includes(c)).map((c) => `${alias}.${quote(c)}`)].join(", ");
  const same = columns
    .map((c) => `(l.${quote(c)} IS r.${quote(c)} AND typeof(l.${quote(c)}) = typeof(r.${quote(c)}))`)
    .join(" AND ");
  const differingSql = `FROM main.${t} l JOIN ${ASIDE}.${t} r ON ${sameKey} WHERE NOT (${same})`;
  const pairs = columns
    .map(
      (c, i) =>
        `l.${quote(c)} AS l${i}, r.${quote(c)} AS r${i}, typeof(l.${quote(c)}) = typeof(r.${quote(c)}) AS t${i}`,
    )
    .join(", ");
  const count = (from: string) =>
    z
      .number()
      .int()
      .parse(db.prepare(`SELECT count(*) ${from}`).pluck().get());

  const differing = Rows.parse(
    db.prepare(`SELECT ${keyList("l")}, ${pairs} ${differingSql} ORDER BY ${order("l")} LIMIT ?`).all(maxRows),
  ).map((row) => ({
    key: Object.fromEntries(key.map((k) => [k, row[k]])),
    columns: columns.flatMap((column, i) => {
      const [live, replayed] = [row[`l${i}`], row[`r${i}`]];
      return Object.is(live, replayed) && row[`t${i}`] === 1 ? [] : [{ column, live, replayed }];
    }),
  }));
  const live = sequenceOf(db, table);
  const replayed = sequenceOf(db, table, ASIDE);
  return {
    table,
    key,
    missing: Rows.parse(db.prepare(`SELECT ${rowOf("r")} ${missingSql} ORDER BY ${order("r")} LIMIT ?`).all(maxRows)),
    extra: Rows.parse(db.prepare(`SELECT ${rowOf("l")} ${extraSql} ORDER BY ${order("l")} LIMIT ?`).all(maxRows)),
    differing,
    counts: { missing: count(missingSql), extra: count(extraSql), differing: count(differingSql) },
    ...(live === replayed ? {} : { sequence: { live, replayed } }),
  };
};

export const hasDrift = (d: TableDrift) =>
  d.counts.missing + d.counts.extra + d.counts.differing > 0 || d.sequence !== undefined;
