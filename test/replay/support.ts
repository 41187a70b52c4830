import { spawn } from "node:child_process";
import { join } from "node:path";
import { packageRoot } from "../../src/db/paths.js";
import { pipelineDay } from "../../src/demo/pipelineDay.js";
import type { NewEvent } from "../../src/index.js";

export const tsxBin = join(packageRoot, "node_modules", ".bin", "tsx");

/** A realistic log of `days` pipeline days (about 575 events a day), with distinct streams per day. */
export const pipelineDays = (days: number, from = 1): NewEvent[] =>
  Array.from({ length: days }, (_, i) => {
    const d = new Date(Date.UTC(2026, 1, from + i)).toISOString().slice(0, 10);
    return pipelineDay({ seed: from + i, day: d });
  }).flat();

/** Run a child process to completion, collecting its output. */
export const run = (command: string, args: string[], env: NodeJS.ProcessEnv = {}) =>
  new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
    const child = spawn(command, args, { env: { ...process.env, ...env } });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (b: Buffer) => (stdout += b.toString()));
    child.stderr.on("data", (b: Buffer) => (stderr += b.toString()));
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
