import { spawnSync } from "node:child_process";
import { readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { openStore } from "../../src/index.js";
import { tempDir } from "../support.js";
import { CLI, cli, cliProcess, finished } from "./run.js";

const started = (i: number) => JSON.stringify({ type: "BatchStarted", data: { batchId: `b${i}` } });
const lines = (n: number) => `${Array.from({ length: n }, (_, i) => started(i + 1)).join("\n")}\n`;

const migrated = () => {
  const db = join(tempDir(), "streams.db");
  expect(cli(["migrate", "--db", db]).code).toBe(0);
  return db;
};
const head = (db: string) => {
  const store = openStore({ url: db });
  try {
    return store.headPosition();
  } finally {
    store.close();
  }
};
/** `artist-store ...args` in sh, its stdout into a pipeline or a redirection. */
const sh = (args: readonly string[], tail: string, input = "") =>
  spawnSync("sh", ["-c", `"$0" "$@" ${tail}`, process.execPath, CLI, ...args], { input, encoding: "utf8" });

describe("artist-store output into pipes and files", () => {
  it("stops emit --follow when the reader of its acknowledgements goes away, exit 0 and no stack trace", () => {
    const db = migrated();
    const r = sh(["emit", "--follow", "--db", db], "| head -2", lines(3000));
    expect(r.stdout.trim().split("\n")).toHaveLength(2);
    expect(r.stderr).toBe("");
    // Each line waits for its acknowledgement to be taken: once head has gone, the next one fails and nothing more is read.
    expect(head(db)).toBeLessThan(3000);
  });

  it("reports a failure to write the output (a full device) in one line, exit 1", () => {
    const db = migrated();
    expect(cli(["emit", "--db", db], { input: lines(10) }).code).toBe(0);
    for (const args of [["events"], ["query", "recent", "--json"], ["events", "--csv"]]) {
      const r = sh([...args, "--db", db], "> /dev/full; echo $? >&2");
      expect(r.stderr).toBe("error: cannot write the output: ENOSPC: no space left on device, write\n1\n");
    }
  });

  it("spills emit --atomic's stdin to a private temporary file, so that the write lock waits for the input's end", async () => {
    const db = migrated();
    const tmp = tempDir();
    const child = cliProcess(["emit", "--atomic", "--json", "--db", db], { env: { TMPDIR: tmp } });
    let exited = false;
    const done = finished(child).finally(() => {
      exited = true;
    });
    child.stdin.write(lines(100));
    // The spill file appears, owner-only, while the producer still writes; another writer is not kept waiting.
    let spill: string | undefined;
    while (!spill && !exited) {
      const [dir] = readdirSync(tmp);
      const file = dir && readdirSync(join(tmp, dir))[0];
      if (file) spill = join(tmp, dir, file);
      else await new Promise((resolve) => setTimeout(resolve, 20));
    }
    expect(spill && statSync(spill).mode & 0o777).toBe(0o600);
    const other = openStore({ url: db, busyTimeoutMs: 1 });
    expect(other.emit.batchStarted({ batchId: "other" })).toMatchObject({ position: 1 });
    other.close();
    child.stdin.end(started(101));
    const r = await done;
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ accepted: 101, firstPosition: 2, lastPosition: 102, written: true });
    expect(readdirSync(tmp)).toEqual([]);
  });
});
