import { spawn } from "node:child_process";
import { once } from "node:events";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { describe, expect, it, onTestFinished } from "vitest";
import { packageRoot } from "../../src/db/paths.js";
import { createTestStore } from "../../src/testing/index.js";
import { curated, generated } from "../fixtures.js";

const T = "2026-01-08T12:00:00Z";
const HOLDER = join(packageRoot, "test", "events", "children", "holdWriteLock.ts");
/**
 * How long the other writer keeps the lock: well inside the store's 5 s busy
 * timeout, which a BEGIN IMMEDIATE waits through, and well past what the busy
 * retries of a deferred transaction add up to (under a second). SQLite calls no
 * busy handler when a read transaction asks for the write lock, so a deferred
 * append fails at once, each of its retries too, and ends in STORE_BUSY.
 */
const HOLD_MS = 2500;

describe("an append takes the write lock before its first read (BEGIN IMMEDIATE)", () => {
  it("a curation, whose first statement reads its stream's head, waits for a writer holding the lock and lands after its event", async () => {
    let probe: (() => void) | undefined;
    const store = createTestStore({
      clock: () => {
        probe?.();
        return new Date(T);
      },
    });
    onTestFinished(store.close);
    store.append([generated("a.png", T)]);

    const holder = spawn(process.execPath, ["--import", "tsx", HOLDER, store.path, String(HOLD_MS), "a.png"], {
      cwd: packageRoot,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stderr = "";
    holder.stderr.on("data", (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    const exited = once(holder, "exit");
    const lines = createInterface({ input: holder.stdout });
    const [first] = (await Promise.race([once(lines, "line"), exited])) as unknown[];
    expect(first, stderr).toBe("locked");

    // The clock is read inside the append's transaction, before its first statement (the curation
    // carries its own occurredAt, so this is the only read): by then the transaction must hold the
    // write lock, so the other writer has committed.
    const otherWriterSeen = store.db.prepare("SELECT count(*) FROM events WHERE event_id = 'other-writer'").pluck();
    const seen: unknown[] = [];
    probe = () => seen.push(otherWriterSeen.get());
    const [appended] = store.append([curated("a.png", T, { finalScore: 7 })]);

    expect(seen).toEqual([1]);
    expect(appended).toMatchObject({ streamId: "image:a.png", streamVersion: 3, duplicate: false });
    expect(store.readStream("image:a.png").map((e) => [e.streamVersion, e.type, e.eventId === "other-writer"])).toEqual(
      [
        [1, "ImageGenerated", false],
        [2, "ImageCurated", true],
        [3, "ImageCurated", false],
      ],
    );
    expect(store.db.prepare("SELECT status, final_score FROM generated_images").get()).toEqual({
      status: "curated",
      final_score: 7,
    });
    const [code] = await exited;
    expect(code, stderr).toBe(0);
  });
});
