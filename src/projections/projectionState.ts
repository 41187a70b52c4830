import { createHash } from "node:crypto";
import { match } from "ts-pattern";
import { z } from "zod";
import type { Db } from "../db/connection.js";
import { cliCommand } from "../db/paths.js";
import { withBusyRetry } from "../db/sqliteErrors.js";
import { prepareHeadPosition } from "../events/readEvents.js";
import { EVENT_TYPES, eventTypes } from "../events/schemas.js";
import { PROJECTION_NAMES, PROJECTIONS, type Projection, type ProjectionName } from "./index.js";

/** What brings the stale projection tables of the database at `path` back in step with the log. */
export const rebuildHint = (path: string): string => `run \`${cliCommand("rebuild", path)}\``;

/** A connection that records the SQL of every statement prepared through it. */
const recordingDb = (db: Db, sql: string[]): Db =>
  new Proxy(db, {
    get: (target, prop) => {
      if (prop === "prepare")
        return (source: string) => {
          sql.push(source);
          return target.prepare(source);
        };
      const value: unknown = Reflect.get(target, prop, target);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });

const fingerprints = new Map<ProjectionName, string>();

/**
 * What identifies the code that builds a projection: its declared version, the
 * SQL its handler prepares and the schema version of every event type. The
 * handler's TypeScript is left out on purpose: tsx and a compiled build print it
 * differently, and the same store must agree with itself under both.
 * @example projectionFingerprint(store.db, "generated_images") // "3f1c…" (64 hex digits)
 */
export const projectionFingerprint = (db: Db, name: ProjectionName): string => {
  const known = fingerprints.get(name);
  if (known) return known;
  const projection: Projection = PROJECTIONS[name];
  const sql: string[] = [];
  projection.create(recordingDb(db, sql));
  const events = Object.fromEntries(EVENT_TYPES.map((t) => [t, eventTypes[t].version]));
  const hash = createHash("sha256")
    .update(JSON.stringify({ version: projection.version ?? 1, tables: projection.tables, sql, events }))
    .digest("hex");
  fingerprints.set(name, hash);
  return hash;
};

/**
 * How one projection's tables stand against the running code and the log.
 * @example const stale = store.projectionStatus().filter((s) => s.state !== "fresh");
 */
export interface ProjectionStatus {
  projection: ProjectionName;
  tables: readonly string[];
  /** The fingerprint recorded by whatever built the tables (undefined: never recorded). */
  recorded: string | undefined;
  /** The running code's fingerprint. */
  expected: string;
  /** The log position the tables reached (undefined: never recorded). */
  position: number | undefined;
  head: number;
  /** fresh: in step; code: built by other projection code; lag: behind (or ahead of) the log; unrecorded: no record at all. */
  state: "fresh" | "code" | "lag" | "unrecorded";
}

const StateRow = z.object({ projection: z.string(), fingerprint: z.string(), position: z.number().int() });

/**
 * Statements on projection_state, prepared once per connection.
 * @example const state = createProjectionState(store.db); state.status();
 */
export const createProjectionState = (db: Db) => {
  const rows = db.prepare(`SELECT projection, fingerprint, position FROM projection_state`);
  const upsert = db.prepare(
    `INSERT INTO projection_state (projection, fingerprint, position) VALUES (@projection, @fingerprint, @position)
     ON CONFLICT (projection) DO UPDATE SET fingerprint = excluded.fingerprint, position = excluded.position`,
  );
  // Only rows that were in step before this append advance: a lag stays visible until a rebuild.
  const advance = db.prepare(`UPDATE projection_state SET position = @last WHERE position = @before`);
  const headPosition = prepareHeadPosition(db);

  // One read transaction: the checkpoints and the log head from the same snapshot. Read
  // separately, an append by another process between the two looks like a lag.
  const snapshot = db.transaction(() => ({
    recorded: new Map(
      rows
        .all()
        .map((r) => StateRow.parse(r))
        .map((r) => [r.projection, r]),
    ),
    at: headPosition(),
  }));

  const status = (): ProjectionStatus[] => {
    const { recorded, at } = snapshot.deferred();
    return PROJECTION_NAMES.map((projection) => {
      const row = recorded.get(projection);
      const expected = projectionFingerprint(db, projection);
      const state = !row ? "unrecorded" : row.fingerprint !== expected ? "code" : row.position !== at ? "lag" : "fresh";
      return {
        projection,
        tables: PROJECTIONS[projection].tables,
        recorded: row?.fingerprint,
        expected,
        position: row?.position,
        head: at,
        state,
      };
    });
  };

  /** Record that the running code built these projections up to `position` (inside the caller's transaction). */
  const record = (names: readonly ProjectionName[], position: number) => {
    for (const projection of names)
      upsert.run({ projection, fingerprint: projectionFingerprint(db, projection), position });
  };

  /** A fresh, empty store: the running code owns its (empty) tables from position 0. */
  const missingOnEmptyLog = (): ProjectionName[] => {
    const known = new Set(rows.all().map((r) => StateRow.parse(r).projection));
    const missing = PROJECTION_NAMES.filter((n) => !known.has(n));
    return missing.length > 0 && headPosition() === 0 ? missing : [];
  };
  const claimEmptyStore = () => {
    // Checked first without the write lock: opening an established store writes nothing.
    if (missingOnEmptyLog().length === 0) return;
    withBusyRetry(() => db.transaction(() => record(missingOnEmptyLog(), 0)).immediate());
  };

  return {
    status,
    record,
    claimEmptyStore,
    /** Checkpoint of one append transaction: its events took positions before+1..last. */
    advance: (before: number, last: number) => advance.run({ before, last }),
  };
};

/** One line naming the stale projections, why, and the command that fixes them. */
export const describeStale = (path: string, statuses: readonly ProjectionStatus[]): string | undefined => {
  const stale = statuses.filter((s) => s.state !== "fresh");
  if (stale.length === 0) return undefined;
  const why = stale.map((s) =>
    match(s.state)
      .with("unrecorded", () => `${s.projection} (no record of the code that built it)`)
      .with(
        "code",
        () =>
          `${s.projection} (built by other projection code: ${s.recorded?.slice(0, 12)}, this code is ${s.expected.slice(0, 12)})`,
      )
      .with("lag", () => `${s.projection} (at log position ${s.position}, the log is at ${s.head})`)
      .with("fresh", () => `${s.projection} (fresh)`)
      .exhaustive(),
  );
  return `projection tables of ${path} are stale: ${why.join("; ")}: ${rebuildHint(path)}`;
};
