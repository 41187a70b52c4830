import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, expect } from "vitest";
import { z } from "zod";
import { type Db, openConnection } from "../src/db/connection.js";
import { appliedMigrations, runDbmate } from "../src/db/migrations.js";
import { chainHash, GENESIS_HASH } from "../src/events/chain.js";
import { EVENT_COLUMNS } from "../src/events/readEvents.js";
import { StoreError } from "../src/index.js";

// Stores come from src/testing (createTestStore, snapshot), the helpers a pipeline's suite uses too.
// What stays here is tied to vitest: folders removed after each test, and an assertion on thrown errors.

const folders: string[] = [];
afterEach(() => {
  for (const dir of folders.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** A fresh temp folder, removed after the test. */
export const tempDir = (): string => {
  const dir = mkdtempSync(join(tmpdir(), "ai-artist-store-"));
  folders.push(dir);
  return dir;
};

/** Roll a database back with dbmate until `version` and every migration after it are undone. */
export const rollBackFrom = (path: string, version: string): void => {
  for (;;) {
    const db = openConnection(path);
    const newest = appliedMigrations(db).at(-1) ?? "";
    db.close();
    if (newest < version) return;
    runDbmate(path, ["rollback"]);
  }
};

/** Run `fn`, which must throw one StoreError; return it (anything else thrown is rethrown). */
export const refusal = (fn: () => unknown): StoreError => {
  try {
    fn();
  } catch (e) {
    if (e instanceof StoreError) return e;
    throw new Error(`expected a StoreError, got ${String(e)}`, { cause: e });
  }
  throw new Error("expected a StoreError, but the call succeeded");
};

/** Run fn and expect it to throw one StoreError with this code and a message matching `message`. */
export const expectStoreError = (fn: () => unknown, code: string, message: RegExp): void => {
  let caught: unknown;
  try {
    fn();
  } catch (e) {
    caught = e;
  }
  expect(caught).toBeInstanceOf(StoreError);
  expect(caught).toMatchObject({ code });
  expect(caught instanceof StoreError ? caught.message : undefined).toMatch(message);
};

/**
 * Run an `INSERT INTO events (…) VALUES (…)` (no hash column) as foreign code that knows the
 * chain would: the row gets the hash its place in the chain gives, so what a test sees past
 * the chain is the row itself (its envelope, its payload). Returns the row's position.
 */
export const insertChained = (db: Db, sql: string, params?: Record<string, unknown>): number => {
  const withHash = (hash: string, position?: number) =>
    sql
      .replace(/INSERT INTO events \(/, `INSERT INTO events (${position === undefined ? "" : "position, "}hash, `)
      .replace(/VALUES \(/, `VALUES (${position === undefined ? "" : `${position}, `}'${hash}', `);
  const run = (text: string) => (params ? db.prepare(text).run(params) : db.prepare(text).run());
  // Written once with a stand-in hash and rolled back: the row as SQLite stores it (affinity applied) is what is hashed.
  db.exec("SAVEPOINT forge");
  let row: unknown[];
  try {
    const { lastInsertRowid } = run(withHash(GENESIS_HASH));
    row = z
      .array(z.unknown())
      .parse(db.prepare(`SELECT ${EVENT_COLUMNS} FROM events WHERE position = ?`).raw().get(lastInsertRowid));
  } finally {
    db.exec("ROLLBACK TO forge");
    db.exec("RELEASE forge");
  }
  const position = z.number().int().parse(row[0]);
  const previous = db
    .prepare("SELECT hash FROM events WHERE position < ? ORDER BY position DESC LIMIT 1")
    .pluck()
    .get(position);
  run(withHash(chainHash(typeof previous === "string" ? previous : GENESIS_HASH, row), position));
  return position;
};
