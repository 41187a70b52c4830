import { chmodSync, copyFileSync, existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, dirname, join } from "node:path";
import { z } from "zod";
import { type Db, openConnection } from "../db/connection.js";
import { fileModes } from "../db/files.js";
import { escapeForRegExp, removeLeftoversOfDeadProcesses } from "../db/leftovers.js";
import { knownMigrations } from "../db/migrations.js";
import { asDiskFailure } from "../db/sqliteErrors.js";
import { quote } from "../db/tableInfo.js";
import { migrateDatabase } from "../events/backfillChain.js";

let template: { path: string; migrations: string } | undefined;

/**
 * An empty database migrated by the real dbmate migrations, once per process
 * (and again if the migrations change); scratch databases are copies of it, so
 * a replay costs no dbmate run.
 */
const migratedTemplate = (): string => {
  const migrations = knownMigrations().join(",");
  if (template && template.migrations === migrations && existsSync(template.path)) return template.path;
  const dir = mkdtempSync(join(tmpdir(), "ai-artist-store-template-"));
  process.once("exit", () => rmSync(dir, { recursive: true, force: true }));
  const path = join(dir, "template.db");
  migrateDatabase(path);
  // Everything into the main file, so copying that one file copies the whole schema.
  const db = openConnection(path);
  db.pragma("wal_checkpoint(TRUNCATE)");
  db.close();
  template = { path, migrations };
  return path;
};

/**
 * Write a new, empty database at `path`, migrated exactly as `dbmate up` would.
 * @example createMigratedDatabase("/tmp/t/store.db"); openStore({ url: "/tmp/t/store.db" });
 */
export const createMigratedDatabase = (path: string): void => {
  copyFileSync(migratedTemplate(), path);
  chmodSync(path, fileModes().file);
};

const IndexDefinitions = z.array(z.object({ name: z.string(), sql: z.string() }));

/**
 * Drop the plain secondary indexes of `tables` and return a function that
 * creates them again with their exact SQL. UNIQUE and PRIMARY KEY indexes stay:
 * handlers look rows up by them, upserts and constraints need them. Replaying
 * into bare tables and then sorting once per index is far cheaper than keeping
 * a dozen B-trees in step row by row.
 * @example const restoreIndexes = deferIndexes(scratch.db, tablesOf()); replayer.catchUp(store, head); restoreIndexes();
 */
export const deferIndexes = (db: Db, tables: readonly string[]): (() => void) => {
  const indexes = IndexDefinitions.parse(
    db
      .prepare(
        `SELECT m.name, m.sql FROM json_each(?) t JOIN pragma_index_list(t.value) i JOIN sqlite_master m ON m.type = 'index' AND m.name = i.name
         WHERE i.origin = 'c' AND NOT i."unique" ORDER BY m.rowid`,
      )
      .all(JSON.stringify(tables)),
  );
  for (const { name } of indexes) db.exec(`DROP INDEX ${quote(name)}`);
  let restored = false;
  return () => {
    if (restored) return;
    restored = true;
    for (const { sql } of indexes) db.exec(sql);
  };
};

export interface Scratch {
  readonly path: string;
  readonly db: Db;
  /** Close the connection and delete the file and its WAL. */
  dispose(): void;
}

/**
 * A private scratch database, migrated the same way as the store, beside
 * `near` (the store's file: same disk, no surprise tmpfs) or in the temp folder.
 * @example const scratch = createScratch(store.path); ...; scratch.dispose();
 */
export const createScratch = (near?: string): Scratch => {
  // The folder names its process: a rebuild killed mid-way leaves it, and the next one removes it.
  if (near)
    removeLeftoversOfDeadProcesses(
      dirname(near),
      new RegExp(`^\\.${escapeForRegExp(basename(near))}\\.scratch-(\\d+)-`),
    );
  const dir = mkdtempSync(
    near
      ? join(dirname(near), `.${basename(near)}.scratch-${process.pid}-`)
      : join(tmpdir(), `ai-artist-store-scratch-${process.pid}-`),
  );
  const path = join(dir, "scratch.db");
  let db: Db;
  try {
    createMigratedDatabase(path);
    db = openConnection(path);
  } catch (e) {
    rmSync(dir, { recursive: true, force: true });
    throw asDiskFailure(e, path, "the scratch database of a replay beside the store");
  }
  // Nobody else writes here, and a failed replay throws the file away: no fsync,
  // no journal: a replay runs faster than in WAL mode (docs/performance.md).
  db.pragma("journal_mode = OFF");
  db.pragma("synchronous = OFF");
  // Building an index after the replay sorts the whole table: spilled to disk, that sort stays out of
  // the process's memory (temp_store=MEMORY raised a large rebuild's peak RSS: docs/performance.md).
  db.pragma("temp_store = FILE");
  return {
    path,
    db,
    dispose: () => {
      if (db.open) db.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
};
