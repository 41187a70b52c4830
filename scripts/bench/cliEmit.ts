// `artist-store emit` as users run it, against the library's append of the same events with the same grouping.
// npx tsx scripts/bench/cliEmit.ts   (runs alone and prints its figures)
import { spawn } from "node:child_process";
import { createReadStream, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath, pathToFileURL } from "node:url";
import Table from "cli-table3";
import { z } from "zod";
import { openConnection } from "../../src/db/connection.js";
import { type WorkloadOptions, workload } from "../../src/demo/workload.js";
import { runAppend, tablesDigest, workloadGroups } from "./append.js";
import { cleanUp, dropDb, f, freshDb, log, median, pairwise, scratchDir } from "./support.js";

/** The command `npx artist-store` runs in a clone of the repository: the TypeScript sources through tsx (docs/cli.md). */
const bin = fileURLToPath(new URL("../../bin/artist-store.js", import.meta.url));
export const CLI = "node bin/artist-store.js (tsx on the sources, as `npx artist-store` in a clone)";

// The child's own CPU time (all its threads, tsx's loader included), written as it exits; a parent cannot ask for it.
const cpuProbe = `data:text/javascript,${encodeURIComponent(
  'import { writeFileSync } from "node:fs"; process.on("exit", () => { const c = process.cpuUsage(); ' +
    "writeFileSync(process.env.BENCH_CPU_FILE, String((c.user + c.system) / 1e6)); });",
)}`;

export interface Mode {
  name: string;
  /** Arguments after `emit`, without the file. */
  args: readonly string[];
  /** Lines fed through stdin (a pipe) rather than named as a file. */
  stdin: boolean;
  /** Events per transaction, the grouping of the library baseline. */
  perAppend: number;
  images: number;
}

/** Images of each mode's workload (about 2 events each): 25,000 lines batched, 5,000 with --follow, 3,000 with --batch-size 1. */
export const CLI_EMIT_IMAGES = { batched: 12_500, follow: 2_500, single: 1_500 };

export const MODES = (images: { batched: number; follow: number; single: number }): Mode[] => [
  { name: "emit FILE (500 per transaction)", args: ["--json"], stdin: false, perAppend: 500, images: images.batched },
  {
    name: "emit --follow, stdin (group commit)",
    args: ["--follow"],
    stdin: true,
    perAppend: 1,
    images: images.follow,
  },
  {
    name: "emit FILE --batch-size 1",
    args: ["--json", "--batch-size", "1"],
    stdin: false,
    perAppend: 1,
    images: images.single,
  },
];

interface CliRun {
  seconds: number;
  cpuSeconds: number;
  stdout: string[];
  /** Seconds from the first line on stdout to the last (with --follow: first to last acknowledgement). */
  firstToLastOutput: number;
}

/** Run `artist-store emit` on `db` with `input` as a file or piped into stdin; wall clock from spawn to exit. */
const runCli = (db: string, mode: Mode, input: string): Promise<CliRun> =>
  new Promise((resolve, reject) => {
    const cpuFile = join(scratchDir, "cli-cpu.txt");
    rmSync(cpuFile, { force: true });
    const args = [...mode.args, "--db", db, ...(mode.stdin ? [] : [input])];
    const t0 = process.hrtime.bigint();
    const child = spawn(process.execPath, ["--import", cpuProbe, bin, "emit", ...args], {
      stdio: ["pipe", "pipe", "pipe"],
      env: { ...process.env, BENCH_CPU_FILE: cpuFile, NO_COLOR: "1" },
    });
    const stdout: string[] = [];
    let first = 0n;
    let last = 0n;
    createInterface({ input: child.stdout, crlfDelay: Infinity }).on("line", (line) => {
      last = process.hrtime.bigint();
      if (stdout.length === 0) first = last;
      stdout.push(line);
    });
    let stderr = "";
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    child.stdin.on("error", () => {}); // the child's exit code tells what went wrong
    if (mode.stdin) createReadStream(input).pipe(child.stdin);
    else child.stdin.end();
    child.on("error", reject);
    child.on("close", (code) => {
      const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
      if (code !== 0) return reject(new Error(`artist-store emit ${args.join(" ")} exited with ${code}: ${stderr}`));
      resolve({
        seconds,
        cpuSeconds: Number(readFileSync(cpuFile, "utf8")),
        stdout,
        firstToLastOutput: Number(last - first) / 1e9,
      });
    });
  });

const Report = z.object({ lines: z.number(), accepted: z.number(), rejected: z.array(z.unknown()) });
const Ack = z.object({ ok: z.boolean() });

/** How many lines the CLI accepted, from its --json report or its acknowledgements. */
const acceptedOf = (mode: Mode, run: CliRun): number =>
  mode.stdin
    ? run.stdout.filter((l) => Ack.parse(JSON.parse(l)).ok).length
    : Report.parse(JSON.parse(run.stdout.join("\n"))).accepted;

/** The workload as JSON lines, one event each, as an emitter in another language would write them. */
const writeJsonl = (options: WorkloadOptions, path: string): number => {
  const lines: string[] = [];
  for (const e of workload(options)) lines.push(JSON.stringify(e));
  writeFileSync(path, lines.map((l) => `${l}\n`).join(""));
  return lines.length;
};

export interface CliEmitFigures {
  mode: string;
  command: string;
  lines: number;
  perAppend: number;
  rounds: number;
  /** Median wall and CPU seconds of the same command on empty input: process start-up, opening and closing the store. */
  startupSeconds: number;
  startupCpuSeconds: number;
  /** Lines / (wall seconds − start-up of the same round). */
  cliLinesPerSec: number;
  /** store.append of the same events, `perAppend` per call, in this process. */
  appendEventsPerSec: number;
  /** Median over rounds of CLI lines/s ÷ append events/s (below 1: what the CLI costs over the library). */
  ratio: number;
  cpuRatio: number;
  /** With --follow: lines/s between the first and the last acknowledgement, a cross-check that needs no start-up subtraction. */
  firstToLastAckLinesPerSec: number | undefined;
  sameEndState: boolean;
}

/** Per round: the CLI on empty input, the CLI on the workload, then the library on the same events; fresh databases each. */
export const compareCliEmit = async (mode: Mode, rounds: number): Promise<CliEmitFigures> => {
  const input = join(scratchDir, "emit.jsonl");
  const empty = join(scratchDir, "empty.jsonl");
  const lines = writeJsonl({ images: mode.images }, input);
  writeFileSync(empty, "");
  const groups = workloadGroups({ images: mode.images }, mode.perAppend);
  const startup: CliRun[] = [];
  const cli: CliRun[] = [];
  const lib: ReturnType<typeof runAppend>[] = [];
  let sameEndState = true;
  for (let r = 0; r < rounds; r++) {
    const startDb = freshDb("cli-empty");
    startup.push(await runCli(startDb, mode, empty));
    dropDb(startDb);
    const db = freshDb("cli-emit");
    const run = await runCli(db, mode, input);
    const accepted = acceptedOf(mode, run);
    if (accepted !== lines) throw new Error(`${mode.name}: ${accepted} of ${lines} lines accepted`);
    cli.push(run);
    const appended = runAppend(groups, r === 0);
    lib.push(appended);
    if (r === 0) {
      const conn = openConnection(db);
      sameEndState = tablesDigest(conn) === appended.digest;
      conn.close();
    }
    dropDb(db);
  }
  rmSync(input);
  const net = pairwise(cli, startup, (c, s) => c.seconds - s.seconds);
  const netCpu = pairwise(cli, startup, (c, s) => c.cpuSeconds - s.cpuSeconds);
  return {
    mode: mode.name,
    command: `artist-store emit ${[...mode.args, ...(mode.stdin ? ["< FILE"] : ["FILE"])].join(" ")}`,
    lines,
    perAppend: mode.perAppend,
    rounds,
    startupSeconds: median(startup.map((s) => s.seconds)),
    startupCpuSeconds: median(startup.map((s) => s.cpuSeconds)),
    cliLinesPerSec: lines / median(net),
    appendEventsPerSec: lines / median(lib.map((l) => l.seconds)),
    ratio: median(pairwise(lib, net, (l, n) => l.seconds / n)),
    cpuRatio: median(pairwise(lib, netCpu, (l, n) => l.cpuSeconds / n)),
    firstToLastAckLinesPerSec: mode.stdin ? (lines - 1) / median(cli.map((c) => c.firstToLastOutput)) : undefined,
    sameEndState,
  };
};

export interface FollowToFile {
  lines: number;
  rounds: number;
  fileLinesPerSec: number;
  followLinesPerSec: number;
  /** Median over rounds of `emit --follow` lines/s ÷ `emit FILE` lines/s on the same file (issue 13's target 3: ≥ 0.8). */
  ratioToEmitFile: number;
  cpuRatioToEmitFile: number;
}

/**
 * `emit --follow < FILE` (group commit) against `emit FILE` (500 per transaction) on the same
 * file, alternating, each less its own start-up measured in the same round.
 */
export const compareFollowToFile = async (images: number, rounds: number): Promise<FollowToFile> => {
  const [file, follow] = MODES({ batched: images, follow: images, single: images });
  if (!file || !follow) throw new Error("MODES lost its first two modes");
  const input = join(scratchDir, "follow-file.jsonl");
  const empty = join(scratchDir, "empty.jsonl");
  const lines = writeJsonl({ images }, input);
  writeFileSync(empty, "");
  const net = {
    file: [] as { seconds: number; cpuSeconds: number }[],
    follow: [] as { seconds: number; cpuSeconds: number }[],
  };
  for (let r = 0; r < rounds; r++)
    for (const [name, mode] of [
      ["file", file],
      ["follow", follow],
    ] as const) {
      const startDb = freshDb("cli-empty");
      const start = await runCli(startDb, mode, empty);
      dropDb(startDb);
      const db = freshDb("cli-emit");
      const run = await runCli(db, mode, input);
      dropDb(db);
      const accepted = acceptedOf(mode, run);
      if (accepted !== lines) throw new Error(`${mode.name}: ${accepted} of ${lines} lines accepted`);
      net[name].push({ seconds: run.seconds - start.seconds, cpuSeconds: run.cpuSeconds - start.cpuSeconds });
    }
  rmSync(input);
  return {
    lines,
    rounds,
    fileLinesPerSec: lines / median(net.file.map((n) => n.seconds)),
    followLinesPerSec: lines / median(net.follow.map((n) => n.seconds)),
    ratioToEmitFile: median(pairwise(net.file, net.follow, (a, b) => a.seconds / b.seconds)),
    cpuRatioToEmitFile: median(pairwise(net.file, net.follow, (a, b) => a.cpuSeconds / b.cpuSeconds)),
  };
};

/** The row of the suite's speed table for compareFollowToFile. */
export const followToFileRow = (c: FollowToFile): string[] => [
  "CLI (tsx) emit --follow < FILE vs emit FILE, same file",
  f(c.lines),
  f(c.followLinesPerSec),
  f(c.fileLinesPerSec),
  f(c.ratioToEmitFile, 2),
  f(c.cpuRatioToEmitFile, 2),
  "≥ 0.80; start-up excluded",
];

/** Every mode, in order. */
export const measureCliEmit = async (modes: readonly Mode[], rounds: number): Promise<CliEmitFigures[]> => {
  const out: CliEmitFigures[] = [];
  for (const m of modes) {
    log(`  ${m.name}`);
    out.push(await compareCliEmit(m, rounds));
  }
  return out;
};

/** Rows for the suite's speed table: figure, events, events/s, baseline events/s, ratio (wall), ratio (CPU), target. */
export const cliEmitRows = (figures: readonly CliEmitFigures[]): string[][] =>
  figures.map((c) => [
    `CLI (tsx) ${c.mode} vs store.append, ${f(c.perAppend)} per call`,
    f(c.lines),
    f(c.cliLinesPerSec),
    f(c.appendEventsPerSec),
    f(c.ratio, 2),
    f(c.cpuRatio, 2),
    [
      `(no target); start-up ${f(c.startupSeconds, 2)} s excluded`,
      c.firstToLastAckLinesPerSec ? `; first to last ack ${f(c.firstToLastAckLinesPerSec)}/s` : "",
      c.sameEndState ? "" : "; END STATE DIFFERS",
    ].join(""),
  ]);

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  log(`CLI emit through ${CLI}`);
  const figures = await measureCliEmit(MODES(CLI_EMIT_IMAGES), 3);
  const table = new Table({
    head: ["figure", "lines", "lines/s", "baseline events/s", "ratio (wall)", "ratio (CPU)", "note"],
    style: { head: [], border: [] },
  });
  table.push(...cliEmitRows(figures));
  log("  emit --follow < FILE vs emit FILE");
  table.push(followToFileRow(await compareFollowToFile(CLI_EMIT_IMAGES.batched, 3)));
  cleanUp();
  console.log(table.toString());
  console.log(`CLI: ${CLI}`);
}
