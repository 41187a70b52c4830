// npx tsx scripts/bench/startup.ts [--runs 15]
// Start-up of the compiled CLI (dist/, as installed): `--version` and `query recent` on the
// demo database, against a bare `node -e 0`, alternating, median wall time of each.
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import { dropDb, log, median, scratchDir } from "./support.js";

const root = fileURLToPath(new URL("../..", import.meta.url));
const cli = join(root, "dist", "scripts", "artist-store.js");

const wall = (args: readonly string[]): number => {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(process.execPath, args, { stdio: ["ignore", "ignore", "pipe"], encoding: "utf8" });
  if (r.status !== 0) throw new Error(`node ${args.join(" ")} exited with ${r.status}: ${r.stderr}`);
  return Number(process.hrtime.bigint() - t0) / 1e6;
};

export interface StartupFigures {
  runs: number;
  nodeMs: number;
  versionMs: number;
  queryMs: number;
  /** Median of per-run ratios to `node -e 0` (issue 13's target 4: ≤ 3 and ≤ 5). */
  versionRatio: number;
  queryRatio: number;
}

/** Build dist/ (a stale build would measure old code), make the demo database, time the three commands. */
export const measureStartup = (runs: number): StartupFigures => {
  log("  building dist/ (npm run build)");
  const build = spawnSync("npm", ["run", "build"], { cwd: root, stdio: "ignore" });
  if (build.status !== 0) throw new Error("npm run build failed");
  const db = join(scratchDir, "startup-demo.db");
  const demo = spawnSync(process.execPath, [cli, "demo", "--db", db], { cwd: scratchDir, stdio: "ignore" });
  if (demo.status !== 0) throw new Error("artist-store demo failed");
  const samples = { node: [] as number[], version: [] as number[], query: [] as number[] };
  for (let i = 0; i < runs; i++) {
    samples.node.push(wall(["-e", "0"]));
    samples.version.push(wall([cli, "--version"]));
    samples.query.push(wall([cli, "query", "recent", "--db", db]));
  }
  dropDb(db);
  const ratio = (xs: number[]) => median(xs.map((x, i) => x / (samples.node[i] ?? Number.NaN)));
  return {
    runs,
    nodeMs: median(samples.node),
    versionMs: median(samples.version),
    queryMs: median(samples.query),
    versionRatio: ratio(samples.version),
    queryRatio: ratio(samples.query),
  };
};

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const { values } = parseArgs({ options: { runs: { type: "string", default: "15" } } });
  const s = measureStartup(Number(values.runs));
  console.log(
    `node -e 0 ${s.nodeMs.toFixed(0)} ms; --version ${s.versionMs.toFixed(0)} ms (${s.versionRatio.toFixed(2)}x, target ≤ 3); ` +
      `query recent on the demo database ${s.queryMs.toFixed(0)} ms (${s.queryRatio.toFixed(2)}x, target ≤ 5); median of ${s.runs}`,
  );
}
