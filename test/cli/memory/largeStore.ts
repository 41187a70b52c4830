import { openConnection } from "../../../src/db/connection.js";
import { PROJECTION_NAMES } from "../../../src/projections/index.js";
import { createProjectionState } from "../../../src/projections/projectionState.js";
import { createMigratedDatabase, deferIndexes } from "../../../src/replay/scratch.js";

/** Rows 1..n of a recursive CTE, for INSERT ... SELECT. */
const sequence = (n: number) => `WITH RECURSIVE seq(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM seq WHERE i < ${n})`;
/** The i-th second of 2026, in the stored time format. */
const second = "strftime('%Y-%m-%dT%H:%M:%fZ', '2026-01-01', printf('+%d seconds', i))";

/**
 * A well-formed hash that is not the chain's: SQL has no sha256, and the commands measured here read
 * the log without walking its chain (`verify` would name every event).
 */
const STAND_IN_HASH = `'${"0".repeat(64)}'`;

/**
 * A migrated database at `path` holding n events and n curated images, written by SQL in two
 * statements (about 15 s for a million of each here, against minutes through the store): the
 * events are BatchStarted events, each opening its own stream, that the store reads back as
 * valid events; the images are curated at 8.5, one a second, so `query recent` returns them all.
 * The tables are not derived from the log; the projection checkpoints are set to its head only
 * so that the commands run without a stale-projection warning.
 * @example createLargeStore("/tmp/x/large.db", 1_000_000)
 */
export const createLargeStore = (path: string, n: number): void => {
  createMigratedDatabase(path);
  const db = openConnection(path);
  try {
    db.pragma("journal_mode = WAL");
    db.pragma("synchronous = OFF");
    db.exec(`${sequence(n)}
      INSERT INTO events (event_id, stream_id, stream_version, type, schema_version, data, metadata, occurred_at, recorded_at, hash)
      SELECT printf('event-%09d', i), printf('batch:b%09d', i), 1, 'BatchStarted', 1,
             printf('{"batchId":"b%09d","theme":"landscapes"}', i), '{}', ${second}, ${second}, ${STAND_IN_HASH}
      FROM seq`);
    const restoreIndexes = deferIndexes(db, ["generated_images"]);
    db.exec(`${sequence(n)}
      INSERT INTO generated_images (filename, prompt, model_id, generation_params, seed, final_score, created_at, status, tags, updated_at)
      SELECT printf('img_%09d.png', i), 'a sunset over snow-capped mountains, oil on canvas', 'sdxl-1.0', '{"steps":30}', i,
             8.5, ${second}, 'curated', '["landscape","sunset"]', ${second}
      FROM seq`);
    restoreIndexes();
    createProjectionState(db).record(PROJECTION_NAMES, n);
    db.pragma("wal_checkpoint(TRUNCATE)");
  } finally {
    db.close();
  }
};
