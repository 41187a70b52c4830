import { z } from "zod";
import type { Db } from "../db/connection.js";
import { withBusyRetry } from "../db/sqliteErrors.js";
import { analyzeTables } from "../db/statistics.js";
import { columnsOf, keyOf, quote } from "../db/tableInfo.js";
import { PROJECTION_NAMES, PROJECTIONS, type ProjectionName } from "../projections/index.js";
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
  /**
   * Rows (keys) compared under the write lock: those that differed in the snapshot before it,
   * and those the events appended since touched. A rebuild of correct tables checks few.
   */
  rowsCheckedUnderLock: number;
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
 * Make `main.<table>` equal to the scratch's, touching only the rows that differ:
 * delete every live row without an identical twin aside (same key, same values,
 * same storage classes), insert the scratch rows now missing, copy the
 * AUTOINCREMENT counter. No UPDATE: the identity triggers would refuse to correct a
 * tampered created_at.
 *
 * Comparing whole tables under the write lock made the lock grow with the log
 * (docs/performance.md), so the comparison runs in two steps. Outside the lock, in
 * one read snapshot of the store, with the scratch caught up to that snapshot's head:
 * the keys of the rows that differ (`suspects`), and the table's largest rowid.
 * Under the lock, after the tail's catch-up: only those keys, the keys the tail's
 * replay touched aside (triggers on the scratch's table record them) and the live
 * rows added since the snapshot (rowid above its largest) are compared and swapped.
 * Every other row of a projection's first table (one row per stream, changed only by
 * that stream's events) was identical in the snapshot and neither side has changed
 * it since: an append after the snapshot changes the live row its event names, and
 * the replay of the same event the scratch's twin. A summary table (`whole`:
 * quality_tiers, creation_days) is changed from other rows: when the snapshot found
 * rows that differ (or only some projections are rebuilt, and their handlers may read
 * tables that are not), the live handler may change a summary row the replay leaves
 * alone, so the summary is then compared whole under the lock (it is small);
 * otherwise both sides started equal and apply the same events. A write to the
 * projection tables by another program between the snapshot and the swap is not
 * undone (audit reports it).
 */
const swapStatements = (db: Db, table: string, index: number, whole: boolean) => {
  const t = quote(table);
  const key = keyOf(db, table);
  const columns = columnsOf(db, table);
  const typed = storageClassMayDiffer(db, table);
  const withKey = key[0] === "rowid" ? ["rowid", ...columns] : columns;
  const inserted = withKey.map(quote).join(", ");
  const sameKey = key.map((k) => `l.${quote(k)} IS r.${quote(k)}`).join(" AND ");
  const sameValue = (c: string) =>
    `l.${quote(c)} IS r.${quote(c)}${typed.has(c) ? ` AND typeof(l.${quote(c)}) = typeof(r.${quote(c)})` : ""}`;
  const sameRow = columns.map(sameValue).join(" AND ");
  const slots = key.map((_, j) => `c${j}`);
  const keys = `rebuild_keys_${index}`;
  const touched = `rebuild_touched_${index}`;
  const of = (alias: string) => key.map((k) => `${alias}.${quote(k)}`).join(", ");
  const byKey = (alias: string) => key.map((k, j) => `${alias}.${quote(k)} = k.${slots[j]}`).join(" AND ");
  const distinctKeys = `(SELECT DISTINCT ${slots.join(", ")} FROM temp.${keys}) AS k`;
  const record = (row: "NEW" | "OLD") =>
    `INSERT INTO ${touched} VALUES (${key.map((k) => `${row}.${quote(k)}`).join(", ")});`;
  db.exec(`DROP TABLE IF EXISTS temp.${keys}; CREATE TEMP TABLE ${keys} (${slots.join(", ")})`);
  db.exec(
    `CREATE TABLE ${ASIDE}.${touched} (${slots.join(", ")});
     CREATE TRIGGER ${ASIDE}.${touched}_insert AFTER INSERT ON ${t} BEGIN ${record("NEW")} END;
     CREATE TRIGGER ${ASIDE}.${touched}_update AFTER UPDATE ON ${t} BEGIN ${record("OLD")} ${record("NEW")} END;
     CREATE TRIGGER ${ASIDE}.${touched}_delete AFTER DELETE ON ${t} BEGIN ${record("OLD")} END;`,
  );
  const largestRowid = db.prepare(`SELECT max(rowid) FROM main.${t}`).pluck();
  return {
    /** In the snapshot: record the keys that differ; returns the largest live rowid. */
    suspects: [
      db.prepare(
        `INSERT INTO temp.${keys} SELECT ${of("l")} FROM main.${t} AS l WHERE NOT EXISTS (SELECT 1 FROM ${ASIDE}.${t} r WHERE ${sameKey} AND ${sameRow})`,
      ),
      db.prepare(
        `INSERT INTO temp.${keys} SELECT ${of("r")} FROM ${ASIDE}.${t} AS r WHERE NOT EXISTS (SELECT 1 FROM main.${t} l WHERE ${sameKey})`,
      ),
    ],
    largestRowid: (): number => z.number().int().nullable().parse(largestRowid.get()) ?? 0,
    /** Under the lock: add the keys changed since the snapshot. */
    found: db.prepare(`SELECT count(*) FROM temp.${keys}`).pluck(),
    changed: [
      db.prepare(`INSERT INTO temp.${keys} SELECT * FROM ${ASIDE}.${touched}`),
      db.prepare(`INSERT INTO temp.${keys} SELECT ${of("l")} FROM main.${t} AS l WHERE l.rowid > ?`),
    ],
    whole,
    all: db.prepare(
      `INSERT INTO temp.${keys} SELECT ${of("l")} FROM main.${t} AS l UNION ALL SELECT ${of("r")} FROM ${ASIDE}.${t} AS r`,
    ),
    checked: db.prepare(`SELECT count(*) FROM ${distinctKeys}`).pluck(),
    /** Under the lock: the swap of those keys' rows, and the counter. */
    swap: [
      db.prepare(
        `DELETE FROM main.${t} WHERE rowid IN (SELECT l.rowid FROM ${distinctKeys} CROSS JOIN main.${t} AS l
           WHERE ${byKey("l")} AND NOT EXISTS (SELECT 1 FROM ${ASIDE}.${t} r WHERE ${sameKey} AND ${sameRow}))`,
      ),
      db.prepare(
        `INSERT INTO main.${t} (${inserted}) SELECT ${withKey.map((c) => `r.${quote(c)}`).join(", ")}
           FROM ${distinctKeys} CROSS JOIN ${ASIDE}.${t} AS r
           WHERE ${byKey("r")} AND NOT EXISTS (SELECT 1 FROM main.${t} l WHERE ${sameKey})`,
      ),
      db.prepare(`DELETE FROM main.sqlite_sequence WHERE name = ?`).bind(table),
      db
        .prepare(
          `INSERT INTO main.sqlite_sequence (name, seq) SELECT name, seq FROM ${ASIDE}.sqlite_sequence WHERE name = ?`,
        )
        .bind(table),
    ],
    drop: () => db.exec(`DROP TABLE IF EXISTS temp.${keys}`),
  };
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
  const result = replayAside(store, { rounds: MAX_ROUNDS, onProgress: options.onProgress }, (aside) => {
    const state = createProjectionState(store.db);
    // A projection's first table has a row per stream; the others summarise rows (see swapStatements).
    const perStream = new Set<string>(only.map((name) => PROJECTIONS[name].tables[0]));
    const swaps = tables.map((table, i) => swapStatements(store.db, table, i, !perStream.has(table)));
    try {
      // One read snapshot: the scratch caught up to its head (the log is read in it), then the rows that differ.
      const { largest, summariesWhole } = store.db
        .transaction(() => {
          aside.catchUp();
          const largest = swaps.map((s) => {
            for (const statement of s.suspects) statement.run();
            return s.largestRowid();
          });
          const found = swaps.reduce((n, s) => n + z.number().parse(s.found.get()), 0);
          return { largest, summariesWhole: found > 0 || only.length < PROJECTION_NAMES.length };
        })
        .deferred();
      // Deferred on purpose: BEGIN IMMEDIATE would also lock the attached scratch, which the replayer still writes.
      // The first statement (a no-op write on main) takes the store's write lock, waiting in the busy timeout.
      const lock = store.db.prepare(`UPDATE main.projection_state SET position = position WHERE 0`);
      const swap = store.db.transaction(() => {
        const lockedAt = performance.now();
        lock.run();
        const position = aside.catchUp();
        let checked = 0;
        for (const [i, s] of swaps.entries()) {
          const [touched, added] = s.changed;
          touched?.run();
          added?.run(largest[i] ?? 0);
          if (s.whole && summariesWhole) s.all.run();
          checked += z.number().parse(s.checked.get());
          for (const statement of s.swap) statement.run();
        }
        state.record(only, position);
        return { lockedAt, position, checked };
      });
      const { lockedAt, position, checked } = withBusyRetry(() => swap());
      const lockMs = performance.now() - lockedAt;
      return {
        events: aside.done,
        position,
        projections: [...only],
        tables,
        durationMs: performance.now() - started,
        lockMs,
        rowsCheckedUnderLock: checked,
      };
    } finally {
      for (const s of swaps) s.drop();
    }
  });
  // The swapped-in tables' statistics, after the swap and outside its lock (best effort, bounded by ANALYSIS_LIMIT).
  analyzeTables(store.db, tables, 1000);
  return result;
};
