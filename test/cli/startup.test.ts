import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { tempDir } from "../support.js";
import { CLI, ROOT } from "./run.js";

/**
 * What the compiled CLI loads to answer: its start-up is mostly module loading
 * (docs/performance.md), so a command loads its own module and no other. A module
 * hook (run in Node's hooks thread) records every module of the package resolved.
 */
const loaded = (args: readonly string[]): { status: number | null; stdout: string; modules: string[] } => {
  const record = join(tempDir(), "resolved.txt");
  const hooks = `data:text/javascript,${encodeURIComponent(
    `import { appendFileSync } from "node:fs";
     export async function resolve(specifier, context, next) {
       const r = await next(specifier, context);
       if (r.url.startsWith(${JSON.stringify(`file://${ROOT}/dist/`)})) appendFileSync(${JSON.stringify(record)}, r.url + "\\n");
       return r;
     }`,
  )}`;
  const register = `data:text/javascript,${encodeURIComponent(
    `import { register } from "node:module"; register(${JSON.stringify(hooks)});`,
  )}`;
  const r = spawnSync(process.execPath, ["--import", register, CLI, ...args], { encoding: "utf8", cwd: tempDir() });
  const text = (() => {
    try {
      return readFileSync(record, "utf8");
    } catch {
      return "";
    }
  })();
  const modules = [...new Set(text.split("\n").filter(Boolean))].map((u) => u.slice(`file://${ROOT}/dist/`.length));
  return { status: r.status, stdout: r.stdout, modules };
};

const commandModules = (modules: readonly string[]) =>
  modules.filter((m) => m.startsWith("src/cli/commands/")).map((m) => m.slice("src/cli/commands/".length));

describe("the CLI's start-up", () => {
  it("answers --version without loading a command module or the store", () => {
    const r = loaded(["--version"]);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^\d+\.\d+\.\d+/);
    expect(commandModules(r.modules)).toEqual([]);
    expect(r.modules.filter((m) => m.startsWith("src/store/") || m.startsWith("src/events/"))).toEqual([]);
  });

  it("loads only the module of the command it runs", () => {
    const db = join(tempDir(), "store.db");
    expect(loaded(["migrate", "--db", db]).status).toBe(0);
    const r = loaded(["query", "recent", "--db", db, "--json"]);
    expect(r.status).toBe(0);
    expect(commandModules(r.modules)).toEqual(["query.js"]);
  });

  it("loads every command for the help, so that it lists them all", () => {
    const r = loaded(["--help"]);
    expect(r.status).toBe(0);
    expect(commandModules(r.modules).length).toBeGreaterThanOrEqual(12);
    for (const name of ["demo", "emit", "query", "rebuild", "restore", "serve", "verify"])
      expect(r.stdout).toContain(name);
  });
});
