import { createHash } from "node:crypto";
import type { Db } from "../db/connection.js";
import { StoreError } from "../db/errors.js";
import { columnsOf, keyOf, quote, sequenceOf } from "../db/tableInfo.js";
import { PROJECTION_NAMES, PROJECTIONS, type ProjectionName } from "../projections/index.js";

/** The schema name a scratch database is attached under on the store's connection. */
export const ASIDE = "rebuild_aside";

// src/testing reads tables with these too.

/**
 * Check projection names given at a boundary (the command line) against the registry.
 * @example parseProjectionNames(["generated_images"]) // ["generated_images"]
 */
export const parseProjectionNames = (names: readonly string[]): ProjectionName[] =>
  names.map((n) => {
    const known = PROJECTION_NAMES.find((p) => p === n);
    if (!known)
      throw new StoreError("UNKNOWN_PROJECTION", `unknown projection "${n}" (known: ${PROJECTION_NAMES.join(", ")})`, {
        projection: n,
      });
    return known;
  });

/** The tables written by some projections (all by default), each once. */
export const tablesOf = (only: readonly ProjectionName[] = PROJECTION_NAMES): string[] => [
  ...new Set(only.flatMap((n) => PROJECTIONS[n].tables)),
];

/**
 * sha256 of a canonical dump of a table: every row in key order, each value
 * with its SQLite storage class, plus its AUTOINCREMENT counter. Equal digests
 * mean byte-identical tables.
 * @example tableDigest(store.db, "generated_images") // "9c0e…"
 */
export const tableDigest = (db: Db, table: string): string => {
  const hash = createHash("sha256");
  const columns = columnsOf(db, table);
  const select = columns.map((c) => `typeof(${quote(c)}), ${quote(c)}`).join(", ");
  const order = keyOf(db, table).map(quote).join(", ");
  for (const row of db
    .prepare(`SELECT ${select} FROM ${quote(table)} ORDER BY ${order}`)
    .raw()
    .iterate())
    hash.update(`${JSON.stringify(row, (_, v: unknown) => (typeof v === "bigint" ? v.toString() : v))}\n`);
  hash.update(`sequence ${String(sequenceOf(db, table) ?? "none")}`);
  return hash.digest("hex");
};

/**
 * Digests of every projection table, keyed by table name.
 * @example projectionDigests(store.db) // { generated_images: "…", training_sessions: "…", … }
 */
export const projectionDigests = (db: Db): Record<string, string> =>
  Object.fromEntries(tablesOf().map((t) => [t, tableDigest(db, t)]));
