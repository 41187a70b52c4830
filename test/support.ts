import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, expect } from "vitest";
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
