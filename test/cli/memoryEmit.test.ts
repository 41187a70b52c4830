import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { CONNECTION_PRAGMAS } from "../../src/db/connection.js";
import { createMigratedDatabase } from "../../src/replay/scratch.js";
import { tempDir } from "../support.js";
import { writeLines } from "./memory/lines.js";
import { measureCli } from "./memory/measure.js";

// `emit --atomic` streams the file into one transaction instead of holding every line. Appending
// through the store costs about 35 µs a line on quiet cores, so the sizes are smaller than the
// other memory cases' (memory.test.ts); `npx tsx scripts/bench/memory.ts` measures 200,000 and
// 2,000,000 lines. The one thing allowed to grow between the sizes is SQLite's page cache: a
// write keeps the pages it touched, up to the cache_size of every store connection (62.5 MiB),
// and the small run fills only part of it.
const SMALL = 50_000;
const LARGE = 500_000;
const PAGE_CACHE_KIB = -CONNECTION_PRAGMAS.cache_size;

describe("bounded memory of emit --atomic", () => {
  it(`appends ${LARGE.toLocaleString("en")} lines in one transaction with the peak RSS of ${SMALL.toLocaleString("en")}, but for the page cache`, () => {
    const dir = tempDir();
    const run = (n: number) => {
      const db = join(dir, `atomic-${n}.db`);
      createMigratedDatabase(db);
      const usage = measureCli(["emit", "--atomic", "--json", "--db", db, writeLines(join(dir, `${n}.jsonl`), n)], {
        dir,
      });
      expect(usage.code).toBe(0);
      expect(JSON.parse(usage.stdout)).toMatchObject({ accepted: n, rejected: [], written: true, lastPosition: n });
      return usage;
    };
    const small = run(SMALL);
    const large = run(LARGE);
    expect(large.maxRssKiB).toBeLessThanOrEqual(1.3 * small.maxRssKiB + PAGE_CACHE_KIB);
  }, 300_000);
});
