import { existsSync } from "node:fs";
import { openConnection } from "../db/connection.js";
import { StoreError } from "../db/errors.js";
import { cliCommand } from "../db/paths.js";
import { asWriteFailure, withBusyRetry } from "../db/sqliteErrors.js";
import { analyzeWhereNeeded, type MissingStatistics, missingStatistics } from "../db/statistics.js";
import { tableNames } from "../db/tableInfo.js";

/** What `optimizeDatabase` analyzed, and the tables still without statistics (empty ones need none). */
export interface OptimizeReport {
  path: string;
  analyzed: string[];
  missing: MissingStatistics[];
  durationMs: number;
}

/**
 * Refresh the planner's statistics now, as a long-lived connection does when it opens:
 * `PRAGMA optimize=0x10002` within ANALYSIS_LIMIT rows per index, waiting for the write
 * lock like an append. The fix doctor names for missing statistics.
 * @example optimizeDatabase("data/ai_artist.db") // { analyzed: ["events", "generated_images"], missing: [], … }
 */
export const optimizeDatabase = (path: string): OptimizeReport => {
  if (!existsSync(path))
    throw new StoreError("SCHEMA_MISSING", `database ${path} does not exist: run \`${cliCommand("migrate", path)}\``, {
      path,
    });
  const started = performance.now();
  const db = openConnection(path);
  try {
    let analyzed: string[];
    try {
      analyzed = withBusyRetry(() => analyzeWhereNeeded(db));
    } catch (e) {
      throw asWriteFailure(e, path);
    }
    return { path, analyzed, missing: missingStatistics(db, tableNames(db)), durationMs: performance.now() - started };
  } finally {
    db.close();
  }
};
