import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, expect } from "vitest";
import { type OpenStoreOptions, openStore, type Store, StoreError } from "../src/index.js";

const folders: string[] = [];
const stores: Store[] = [];
afterEach(() => {
  for (const s of stores.splice(0)) if (s.db.open) s.close();
  for (const dir of folders.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** A fresh temp folder, removed after the test. */
export const tempDir = (): string => {
  const dir = mkdtempSync(join(tmpdir(), "ai-artist-store-"));
  folders.push(dir);
  return dir;
};

/** A fixed clock: every event without an occurredAt happens at this instant. */
export const fixedClock =
  (iso = "2026-01-08T12:00:00.000Z") =>
  () =>
    new Date(iso);

/** A new database file in a temp folder, migrated by dbmate exactly as production is. */
export const freshStore = (options: OpenStoreOptions = {}): Store => {
  const store = openStore({
    url: `sqlite:${join(tempDir(), "store.db")}`,
    migrate: true,
    clock: fixedClock(),
    ...options,
  });
  stores.push(store);
  return store;
};

/** Every row of a table, in id order, as SQLite returns it. */
export const tableRows = (store: Store, table: string): unknown[] =>
  store.db.prepare(`SELECT * FROM ${table} ORDER BY 1`).all();

/** A snapshot of the log and the three tables, to prove a failed call changed nothing. */
export const snapshot = (store: Store) => ({
  events: tableRows(store, "events"),
  generated_images: tableRows(store, "generated_images"),
  training_sessions: tableRows(store, "training_sessions"),
  creation_sessions: tableRows(store, "creation_sessions"),
});

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
  expect(String((caught as Error).message)).toMatch(message);
};
