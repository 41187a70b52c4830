// npx tsx scripts/bench/compareCheckouts.ts --base DIR [--per-append 1000] [--images 20000] [--rounds 7]
//                                            [--rebuild-images 50000] [--rebuild-rounds 5]
// This checkout against another checkout of the store (DIR, e.g. `git worktree add /tmp/before <commit>`), in one
// process, alternating round by round: CPU µs per event of store.append on the same workload, then of
// rebuildProjections on the same log (each side appends it with its own code and rebuilds its own copy).
// CPU time of alternating rounds in one process is what still compares on a busy machine.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import { workloadGroups } from "./append.js";
import { median } from "./support.js";

const { values } = parseArgs({
  options: {
    base: { type: "string" },
    "per-append": { type: "string", default: "1000" },
    images: { type: "string", default: "20000" },
    rounds: { type: "string", default: "7" },
    "rebuild-images": { type: "string", default: "50000" },
    "rebuild-rounds": { type: "string", default: "5" },
  },
});
if (!values.base) throw new Error("--base DIR: another checkout of the store to compare with");
const perAppend = Number(values["per-append"]);
const rounds = Number(values.rounds);
const rebuildRounds = Number(values["rebuild-rounds"]);

/** A method of a module or object of the other checkout, called without knowing its types: the two checkouts differ. */
const call = (target: unknown, name: string, ...args: unknown[]): unknown => {
  const f: unknown = Reflect.get(Object(target), name);
  if (typeof f !== "function") throw new Error(`${name} is not a function in the checkout`);
  return Reflect.apply(f, target, args);
};

interface Side {
  name: string;
  index: unknown;
  scratch: unknown;
  operations: unknown;
}
const load = async (name: string, root: string): Promise<Side> => {
  const at = (file: string) => import(pathToFileURL(join(root, "src", file)).href);
  return {
    name,
    index: await at("index.ts"),
    scratch: await at("replay/scratch.ts"),
    operations: await at("operations.ts"),
  };
};
const sides = [await load("base", resolve(values.base)), await load("this", resolve("."))];
const dir = mkdtempSync(join(tmpdir(), "compare-checkouts-"));
const dropDb = (path: string) => {
  for (const suffix of ["", "-wal", "-shm"]) rmSync(path + suffix, { force: true });
};
/** Each side's CPU µs per event, round by round, sides alternating (their order flips every round). */
const alternate = (n: number, run: (side: Side) => number): Map<string, number[]> => {
  const cpu = new Map<string, number[]>(sides.map((s) => [s.name, []]));
  for (let round = 0; round < n; round++)
    for (const side of round % 2 ? [...sides].reverse() : sides) cpu.get(side.name)?.push(run(side));
  return cpu;
};
const report = (title: string, cpu: Map<string, number[]>) => {
  const base = cpu.get("base") ?? [];
  const mine = cpu.get("this") ?? [];
  const ratios = base.map((b, i) => b / (mine[i] ?? Number.NaN));
  console.log(title);
  for (const [name, xs] of cpu)
    console.log(`  ${name.padEnd(5)} ${median(xs).toFixed(1)} µs  [${xs.map((x) => x.toFixed(1)).join(" ")}]`);
  console.log(
    `  base/this per round ${ratios.map((r) => r.toFixed(2)).join(" ")}; median ${median(ratios).toFixed(2)}`,
  );
};

let n = 0;
const groups = [...workloadGroups({ images: Number(values.images) }, perAppend)()];
const events = groups.reduce((sum, g) => sum + g.length, 0);
const appendCpu = alternate(rounds, (side) => {
  const path = join(dir, `${side.name}-${n++}.db`);
  call(side.scratch, "createMigratedDatabase", path);
  const store = call(side.index, "openStore", { url: path });
  const t = process.cpuUsage();
  for (const g of groups) call(store, "append", g);
  const u = process.cpuUsage(t);
  call(store, "close");
  dropDb(path);
  return (u.user + u.system) / events;
});
report(`store.append, ${events} events, ${perAppend} per append, ${rounds} rounds: CPU per event`, appendCpu);

const logs = new Map(
  sides.map((side) => {
    const path = join(dir, `${side.name}-log.db`);
    call(side.scratch, "createMigratedDatabase", path);
    const store = call(side.index, "openStore", { url: path });
    for (const g of workloadGroups({ images: Number(values["rebuild-images"]), seed: 3 }, 1000)())
      call(store, "append", g);
    call(store, "close");
    return [side.name, path];
  }),
);
let logEvents = 0;
const rebuildCpu = alternate(rebuildRounds, (side) => {
  const store = call(side.index, "openStore", { url: logs.get(side.name), stale: "ignore" });
  const t = process.cpuUsage();
  const result = call(side.operations, "rebuildProjections", store);
  const u = process.cpuUsage(t);
  call(store, "close");
  logEvents = Number(Reflect.get(Object(result), "events"));
  return (u.user + u.system) / logEvents;
});
report(`rebuildProjections, ${logEvents} events, ${rebuildRounds} rounds: CPU per event`, rebuildCpu);
rmSync(dir, { recursive: true, force: true });
