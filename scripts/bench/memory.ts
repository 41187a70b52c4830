// Peak RSS of the streaming commands at two sizes, with the V8 heap as it comes and capped:
//   npm run build && npx tsx scripts/bench/memory.ts [--rows 200000,2000000] [--lines 200000,2000000]
// For each size: a store of that many events and curated images built by SQL (test/cli/memory/largeStore.ts),
// then `events` into a slow reader, `events` into `head -1`, `query recent --limit 100000000` as JSON and as a
// table, and `emit --atomic` of a file of that many lines. The suite (test/cli/memory*.test.ts) checks the
// same at smaller sizes; this prints the figures of docs/performance.md#memory.
import { rmSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { createMigratedDatabase } from "../../src/replay/scratch.js";
import { createLargeStore } from "../../test/cli/memory/largeStore.js";
import { writeLines } from "../../test/cli/memory/lines.js";
import { HEAP_FLAGS, measureCli, type Usage } from "../../test/cli/memory/measure.js";
import { cleanUp, log, scratchDir } from "./support.js";

const { values } = parseArgs({
  options: {
    rows: { type: "string", default: "200000,2000000" },
    lines: { type: "string", default: "200000,2000000" },
  },
});
const sizes = (list: string) => list.split(",").map(Number);

interface Row {
  name: string;
  rows: number;
  uncapped: Usage;
  capped: Usage;
  seconds: number;
}
const rows: Row[] = [];
/** Run one case twice, V8's heap as it comes and capped, and keep both figures. */
const measureBoth = (name: string, n: number, run: (heap: readonly string[]) => Usage) => {
  const t0 = performance.now();
  const uncapped = run([]);
  const seconds = (performance.now() - t0) / 1000;
  const capped = run(HEAP_FLAGS);
  if (uncapped.code !== 0 || capped.code !== 0) throw new Error(`${name} at ${n} failed: ${capped.stderr}`);
  rows.push({ name, rows: n, uncapped, capped, seconds });
  log(`${name}, ${n}: ${uncapped.maxRssKiB >> 10} MiB, capped ${capped.maxRssKiB >> 10} MiB, ${seconds.toFixed(1)} s`);
};

const dir = scratchDir;
try {
  for (const n of sizes(values.rows)) {
    const db = join(dir, `large-${n}.db`);
    log(`building a store of ${n} events and ${n} images`);
    createLargeStore(db, n);
    const cases: [string, string[], string][] = [
      ["events into a slow reader", ["events", "--db", db], "(sleep 1; wc -l)"],
      ["events into head -1", ["events", "--db", db], "head -1"],
      ["query recent --json", ["query", "recent", "--db", db, "--limit", "100000000", "--json"], "wc -c"],
      ["query recent (table)", ["query", "recent", "--db", db, "--limit", "100000000"], "wc -c"],
    ];
    for (const [name, args, reader] of cases) measureBoth(name, n, (heap) => measureCli(args, { dir, reader, heap }));
    for (const suffix of ["", "-wal", "-shm"]) rmSync(db + suffix, { force: true });
  }
  for (const n of sizes(values.lines)) {
    const file = writeLines(join(dir, `lines-${n}.jsonl`), n);
    measureBoth("emit --atomic", n, (heap) => {
      const db = join(dir, `atomic-${n}.db`);
      for (const suffix of ["", "-wal", "-shm"]) rmSync(db + suffix, { force: true });
      createMigratedDatabase(db);
      return measureCli(["emit", "--atomic", "--json", "--db", db, file], { dir, heap });
    });
    rmSync(file, { force: true });
  }
} finally {
  cleanUp();
}

const mib = (kib: number) => (kib / 1024).toFixed(0);
console.log("| command | rows | peak RSS MiB | with the heap capped | bytes read | seconds (uncapped run) |");
console.log("|---|---|---|---|---|---|");
for (const r of rows)
  console.log(
    `| ${r.name} | ${r.rows.toLocaleString("en")} | ${mib(r.uncapped.maxRssKiB)} | ${mib(r.capped.maxRssKiB)} | ${(r.uncapped.readBytes / 1e6).toFixed(0)} MB | ${r.seconds.toFixed(1)} |`,
  );
for (const name of new Set(rows.map((r) => r.name))) {
  const [small, large] = rows.filter((r) => r.name === name);
  if (small && large)
    console.log(
      `${name}: ratio ${(large.uncapped.maxRssKiB / small.uncapped.maxRssKiB).toFixed(2)} (heap capped ${(large.capped.maxRssKiB / small.capped.maxRssKiB).toFixed(2)}) from ${small.rows.toLocaleString("en")} to ${large.rows.toLocaleString("en")}`,
    );
}
