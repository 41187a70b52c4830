import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createLargeStore } from "./memory/largeStore.js";
import { measureCli, type Usage } from "./memory/measure.js";

// Memory must not grow with the size of the log or of a result. Each case runs the command on a
// store of SMALL rows and on one of LARGE rows and compares the peak RSS of the command's own
// process, its V8 heap capped (HEAP_FLAGS: a command that held its rows would die); the sizes
// are ten times apart, so anything that holds every row shows as a ratio far above FLAT (the
// old code: 5 to 9, uncapped). 200,000 and 2,000,000 rows: `npx tsx scripts/bench/memory.ts`.
const SMALL = 100_000;
const LARGE = 1_000_000;
const FLAT = 1.3;

const ratio = (small: Usage, large: Usage, key: "maxRssKiB" | "readBytes" = "maxRssKiB") => large[key] / small[key];

describe(`bounded memory: ${SMALL.toLocaleString("en")} against ${LARGE.toLocaleString("en")} rows`, () => {
  let dir = "";
  const db = { small: "", large: "" };
  beforeAll(() => {
    // One folder for the whole file (tempDir's are removed after each test).
    dir = mkdtempSync(join(tmpdir(), "ai-artist-store-memory-"));
    db.small = join(dir, "small.db");
    db.large = join(dir, "large.db");
    createLargeStore(db.small, SMALL);
    createLargeStore(db.large, LARGE);
  }, 180_000);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const both = (args: (db: string) => string[], reader: string) => ({
    small: measureCli(args(db.small), { dir, reader }),
    large: measureCli(args(db.large), { dir, reader }),
  });

  it("streams events into a slow reader with backpressure: every event arrives, peak RSS stays flat", () => {
    const { small, large } = both((d) => ["events", "--db", d], "(sleep 1; wc -l)");
    expect([small.code, large.code]).toEqual([0, 0]);
    expect([small.stdout.trim(), large.stdout.trim()]).toEqual([String(SMALL), String(LARGE)]);
    expect(ratio(small, large)).toBeLessThanOrEqual(FLAT);
  }, 120_000);

  it("stops reading when the reader goes away: `events | head -1` exits 0 quietly and reads no more of a large log", () => {
    const { small, large } = both((d) => ["events", "--db", d], "head -1");
    for (const r of [small, large]) {
      expect(r.code).toBe(0);
      expect(r.stderr).toBe("");
      expect(JSON.parse(r.stdout)).toMatchObject({ position: 1, type: "BatchStarted" });
    }
    expect(ratio(small, large, "readBytes")).toBeLessThanOrEqual(FLAT);
    expect(ratio(small, large)).toBeLessThanOrEqual(FLAT);
  }, 120_000);

  it("streams `query recent --limit 100000000 --json` row by row", () => {
    const { small, large } = both(
      (d) => ["query", "recent", "--db", d, "--limit", "100000000", "--json"],
      `grep -c '"filename"'`,
    );
    expect([small.code, large.code]).toEqual([0, 0]);
    expect([small.stdout.trim(), large.stdout.trim()]).toEqual([String(SMALL), String(LARGE)]);
    expect(ratio(small, large)).toBeLessThanOrEqual(FLAT);
  }, 120_000);

  it("renders `query recent --limit 100000000` as a table in bounded chunks", () => {
    const { small, large } = both((d) => ["query", "recent", "--db", d, "--limit", "100000000"], "grep -c 'img_'");
    expect([small.code, large.code]).toEqual([0, 0]);
    expect([small.stdout.trim(), large.stdout.trim()]).toEqual([String(SMALL), String(LARGE)]);
    expect(ratio(small, large)).toBeLessThanOrEqual(FLAT);
  }, 300_000);
});
