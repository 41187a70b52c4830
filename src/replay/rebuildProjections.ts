import { z } from "zod";
import type { Db } from "../db/connection.js";
import { withBusyRetry } from "../db/sqliteErrors.js";
import { columnsOf, keyOf, quote } from "../db/tableInfo.js";
import { PROJECTION_NAMES, type ProjectionName } from "../projections/index.js";
import { createProjectionState } from "../projections/projectionState.js";
import type { Store } from "../store/openStore.js";
import type { OnProgress } from "./replay.js";
import { replayAside } from "./replayAside.js";
import { ASIDE, tablesOf } from "./tables.js";

/**
 * Which projections to rebuild, and a progress callback.
 * @example rebuildProjections(store, { only: ["creation_sessions"] })
 */
export interface RebuildOptions {
  /** Rebuild only these projections (default: all). The others' tables are not touched. */
  only?: readonly ProjectionName[];
  onProgress?: OnProgress;
}

/** What a rebuild replayed and swapped in, and how long it held the write lock. */
export interface RebuildResult {
  /** Events replayed. */
  events: number;
  /** The log position the rebuilt tables reached. */
  position: number;
  projections: ProjectionName[];
  tables: string[];
  durationMs: number;
  /** How long the swap transaction took (waiting for the write lock, the final catch-up, the copy): what emitters waited at most. */
  lockMs: number;
}

/** A column's type affinity, by SQLite's rules on its declared type (https://sqlite.org/datatype3.html#determination_of_column_affinity). */
const affinityOf = (declared: string): "INTEGER" | "TEXT" | "BLOB" | "REAL" | "NUMERIC" => {
  const t = declared.toUpperCase();
  if (t.includes("INT")) return "INTEGER";
  if (t.includes("CHAR") || t.includes("CLOB") || t.includes("TEXT")) return "TEXT";
  if (t.includes("BLOB") || t === "") return "BLOB";
  if (t.includes("REAL") || t.includes("FLOA") || t.includes("DOUB")) return "REAL";
  return "NUMERIC";
};

const DeclaredTypes = z.array(z.object({ name: z.string(), type: z.string() }));

/**
 * The columns where equal values (IS) may still differ in storage class. Only a
 * column without affinity can hold 9 and 9.0 side by side: TEXT affinity stores
 * numbers as text, INTEGER and NUMERIC store an integral real as an integer,
 * REAL stores an integer as a real. So when both sides give a column the same
 * affinity, IS alone tells identical values apart, and the swap skips the
 * typeof() check, a large share of its scan (docs/performance.md).
 */
const storageClassMayDiffer = (db: Db, table: string): Set<string> => {
  const types = (schema: string) =>
    new Map(
      DeclaredTypes.parse(db.prepare(`SELECT name, type FROM pragma_table_info(?, ?)`).all(table, schema)).map((c) => [
        c.name,
        affinityOf(c.type),
      ]),
    );
  const live = types("main");
  const aside = types(ASIDE);
  return new Set(
    [...live].filter(([name, affinity]) => affinity === "BLOB" || aside.get(name) !== affinity).map(([name]) => name),
  );
};

/**
 * Make `main.<table>` equal to the scratch's, touching only the rows that
 * differ: delete every live row without an identical twin aside (same key,
 * same values, same storage classes), insert the scratch rows now missing, copy
 * the AUTOINCREMENT counter. A rebuild of correct tables writes nothing, so the
 * lock is held for one read of both tables. No UPDATE: the identity triggers
 * would refuse to correct a tampered created_at.
 */
const swapStatements = (db: Db, table: string) => {
  const t = quote(table);
  const key = keyOf(db, table);
  const columns = columnsOf(db, table);
  const typed = storageClassMayDiffer(db, table);
  const inserted = (key[0] === "rowid" ? ["rowid", ...columns] : columns).map(quote).join(", ");
  const sameKey = key.map((k) => `l.${quote(k)} IS r.${quote(k)}`).join(" AND ");
  const sameValue = (c: string) =>
    `l.${quote(c)} IS r.${quote(c)}${typed.has(c) ? ` AND typeof(l.${quote(c)}) = typeof(r.${quote(c)})` : ""}`;
  const sameRow = columns.map(sameValue).join(" AND ");
  return [
    db.prepare(
      `DELETE FROM main.${t} AS l WHERE NOT EXISTS (SELECT 1 FROM ${ASIDE}.${t} r WHERE ${sameKey} AND ${sameRow})`,
    ),
    db.prepare(
      `INSERT INTO main.${t} (${inserted}) SELECT ${inserted} FROM ${ASIDE}.${t} r WHERE NOT EXISTS (SELECT 1 FROM main.${t} l WHERE ${sameKey})`,
    ),
    db.prepare(`DELETE FROM main.sqlite_sequence WHERE name = ?`).bind(table),
    db
      .prepare(
        `INSERT INTO main.sqlite_sequence (name, seq) SELECT name, seq FROM ${ASIDE}.sqlite_sequence WHERE name = ?`,
      )
      .bind(table),
  ];
};

/** Catch-up rounds outside the lock before the swap takes the rest under it. */
const MAX_ROUNDS = 20;

/**
 * Derive projection tables again from the log through the live handlers. The
 * new tables are built aside in a scratch database, without any lock on the
 * store; then one short transaction takes the write lock, replays the events
 * appended meanwhile and swaps the tables in (ids and AUTOINCREMENT counters
 * included). Readers see the old tables or the new ones, never a mix; emitters
 * wait only for the swap.
 * @example const { events, durationMs } = rebuildProjections(store, { onProgress: console.log });
 */
export const rebuildProjections = (store: Store, options: RebuildOptions = {}): RebuildResult => {
  const started = performance.now();
  const only = options.only ?? PROJECTION_NAMES;
  const tables = tablesOf(only);
  return replayAside(store, { rounds: MAX_ROUNDS, onProgress: options.onProgress }, (aside) => {
    const state = createProjectionState(store.db);
    const swaps = tables.map((table) => swapStatements(store.db, table));
    // Deferred on purpose: BEGIN IMMEDIATE would also lock the attached scratch, which the replayer still writes.
    // The first statement (a no-op write on main) takes the store's write lock, waiting in the busy timeout.
    const lock = store.db.prepare(`UPDATE main.projection_state SET position = position WHERE 0`);
    const swap = store.db.transaction(() => {
      const lockedAt = performance.now();
      lock.run();
      const position = aside.catchUp();
      for (const statements of swaps) for (const statement of statements) statement.run();
      state.record(only, position);
      return { lockedAt, position };
    });
    const { lockedAt, position } = withBusyRetry(() => swap());
    const lockMs = performance.now() - lockedAt;
    return {
      events: aside.done,
      position,
      projections: [...only],
      tables,
      durationMs: performance.now() - started,
      lockMs,
    };
  });
};
