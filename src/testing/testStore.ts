import { deepStrictEqual } from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { StoreError } from "../db/errors.js";
import type { NewEvent } from "../events/envelope.js";
import { parseJsonLine } from "../ingest/jsonLine.js";
import { byteLinesOf, lineText } from "../ingest/lines.js";
import { createMigratedDatabase } from "../replay/scratch.js";
import { type OpenStoreOptions, openStore, type Store } from "../store/openStore.js";
import { type Row, rowsOf } from "./snapshot.js";

/**
 * Expected rows per table, in key order; each row lists only the columns it checks.
 * @example const expected: ExpectedRows = { generated_images: [{ filename: "a.png", status: "curated" }] };
 */
export type ExpectedRows = Record<string, readonly Row[]>;

/**
 * A store in its own temp folder: `close()` also deletes the folder.
 * @example const store: TestStore = createTestStore(); store.rows("generated_images"); store.close();
 */
export interface TestStore extends Store {
  /** Every row of a table, in primary-key order, as SQLite returns it. */
  rows(table: string): Row[];
}

/**
 * A new store in a temp folder, migrated by the real migrations (a copy of one
 * `dbmate up` per process), with a fixed clock unless told otherwise.
 * @example const store = createTestStore(); store.append(events); store.close();
 */
export const createTestStore = (options: Omit<OpenStoreOptions, "url" | "migrate"> = {}): TestStore => {
  const dir = mkdtempSync(join(tmpdir(), "ai-artist-store-test-"));
  const path = join(dir, "store.db");
  createMigratedDatabase(path);
  const store = openStore({ clock: () => new Date("2026-01-08T12:00:00.000Z"), ...options, url: path });
  return {
    ...store,
    rows: (table) => rowsOf(store.db, table),
    close: () => {
      if (store.db.open) store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
};

/**
 * Parse a JSON-lines fixture (one event per line; blank lines and `//` comments skipped),
 * read as `artist-store emit` reads its input: UTF-8 checked, no key twice in an object,
 * a byte order mark only at the start. Errors name the file and line.
 * @example readJsonl("test/fixtures/day.jsonl") // [{ line: 1, event: {...} }, ...]
 */
export const readJsonl = (file: string): { line: number; event: unknown }[] =>
  Array.from(byteLinesOf(readFileSync(file))).flatMap((bytes, i) => {
    const line = i + 1;
    const text = lineText(bytes, line);
    if (text.ok && text.text.trimStart().startsWith("//")) return [];
    const parsed = parseJsonLine(bytes, line);
    if (parsed === undefined) return [];
    if (parsed.ok) return [{ line, event: parsed.json }];
    throw new StoreError("INVALID_EVENT", `${file} line ${line}: ${parsed.reason}`, { file, line });
  });

/**
 * A fresh test store holding these events (typed, or a JSONL fixture's path), appended in one transaction.
 * @example const store = replayEvents("test/fixtures/day.jsonl"); expectRows(store, { creation_sessions: [{ batch_id: "b1" }] });
 */
export const replayEvents = (
  events: readonly NewEvent[] | string,
  options: Omit<OpenStoreOptions, "url" | "migrate"> = {},
): TestStore => {
  const store = createTestStore(options);
  try {
    if (typeof events !== "string") store.append(events);
    else {
      const lines = readJsonl(events);
      const atLine = (line: number | undefined, e: unknown): unknown =>
        e instanceof StoreError && line !== undefined
          ? new StoreError(
              e.code,
              `${events} line ${line}: ${e.message}`,
              { ...e.details, file: events, line },
              { cause: e },
            )
          : e;
      try {
        store.appendUnknown(lines.map((l) => l.event));
      } catch (e) {
        const index = e instanceof StoreError ? e.details.index : undefined;
        throw atLine(typeof index === "number" ? lines[index]?.line : undefined, e);
      }
    }
    return store;
  } catch (e) {
    store.close();
    throw e;
  }
};

/**
 * Assert that tables hold exactly these rows (in key order), comparing only the columns each expected row names.
 * Throws node's AssertionError with a diff, so it works under any test runner.
 * @example expectRows(store, { generated_images: [{ filename: "a.png", status: "curated" }] })
 */
export const expectRows = (store: TestStore, expected: ExpectedRows): void => {
  for (const [table, rows] of Object.entries(expected)) {
    const actual = store.rows(table).map((row, i) => {
      const wanted = rows[i];
      return wanted ? Object.fromEntries(Object.keys(wanted).map((k) => [k, row[k]])) : row;
    });
    deepStrictEqual(actual, rows, `rows of ${table}`);
  }
};
