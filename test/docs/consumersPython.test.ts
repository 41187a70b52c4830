import { spawnSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { openConnection } from "../../src/db/connection.js";
import { openStore } from "../../src/index.js";
import { CLI, ROOT } from "../cli/run.js";
import { tempDir } from "../support.js";

// .ci/run installs python3 where the machine lacks it: the page's example is run, never skipped.
const python = spawnSync("python3", ["--version"]).status === 0;

/** The first ```python block of docs/consumers.md: the complete follower the page promises. */
const example = (): string => {
  const page = readFileSync(join(ROOT, "docs", "consumers.md"), "utf8");
  const block = /^```python\n([\s\S]*?)^```/m.exec(page)?.[1];
  if (block === undefined) throw new Error("docs/consumers.md has no python block");
  return block;
};

/** Run the example in `dir` against the database `db`, as its docs say: extra arguments go to `follow`. */
const runExample = (dir: string, db: string) =>
  spawnSync("python3", [join(dir, "thumbnailer.py"), "--db", db, "--until-head"], {
    cwd: dir,
    encoding: "utf8",
    env: { ...process.env, ARTIST_STORE: `${process.execPath} ${CLI}` },
    timeout: 120_000,
  });

describe("docs/consumers.md: the Python follower", () => {
  it("has python3 to run it with", () => {
    expect(python, "python3 is missing: apt-get install python3 (.ci/run does)").toBe(true);
  });

  it("handles every curated image once, acknowledges it, and on its next run only what is new", () => {
    const dir = tempDir();
    writeFileSync(join(dir, "thumbnailer.py"), example());
    const db = join(dir, "store.db");
    const store = openStore({ url: db, migrate: true });
    const curate = (name: string, status: "curated" | "rejected") => {
      store.emit.imageGenerated({ filename: name, prompt: `a ${name}`, modelId: "sdxl" });
      store.emit.imageCurated({ filename: name, status, finalScore: status === "curated" ? 8 : 2 });
    };
    curate("a.png", "curated");
    curate("b.png", "rejected");
    curate("c.png", "curated");
    const first = runExample(dir, db);
    expect(first.stderr).toBe("");
    expect(first.status).toBe(0);
    expect(readFileSync(join(dir, "thumbnails.txt"), "utf8")).toBe("a.png\nc.png\n");

    curate("d.png", "curated");
    const second = runExample(dir, db);
    expect(second.status).toBe(0);
    expect(readFileSync(join(dir, "thumbnails.txt"), "utf8")).toBe("a.png\nc.png\nd.png\n");

    const conn = openConnection(db, { readonly: true });
    const checkpoint = conn.prepare(`SELECT position FROM consumers WHERE name = 'thumbnailer'`).pluck().get();
    conn.close();
    // The last ImageCurated (position 8) is the last acknowledgement.
    expect(z.number().parse(checkpoint)).toBe(store.headPosition());
    store.close();
  });
});
