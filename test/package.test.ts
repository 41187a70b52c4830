import { execFileSync, spawnSync } from "node:child_process";
import { mkdirSync, readFileSync, renameSync, symlinkSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { ROOT } from "./cli/run.js";
import { tempDir } from "./support.js";

const npm = process.platform === "win32" ? "npm.cmd" : "npm";

describe("the npm package", () => {
  it("packs, installs into another project, and emits, queries, audits (through its operations subpath) and runs its CLI from there", () => {
    const scratch = tempDir();
    // dist/ was built by test/globalSetup.ts; --ignore-scripts skips the prepack rebuild.
    const packed = execFileSync(npm, ["pack", "--ignore-scripts", "--json", "--pack-destination", scratch], {
      cwd: ROOT,
      encoding: "utf8",
    });
    const [info] = z
      .array(z.object({ filename: z.string(), files: z.array(z.object({ path: z.string() })) }))
      .parse(JSON.parse(packed));
    if (!info) throw new Error("npm pack printed nothing");
    const files = info.files.map((f) => f.path);
    expect(files).toEqual(
      expect.arrayContaining([
        "bin/artist-store.js",
        "dist/src/index.js",
        "dist/src/index.d.ts",
        "dist/src/operations.js",
        "dist/src/operations.d.ts",
        "dist/src/testing/index.js",
        "dist/src/testing/index.d.ts",
        "dist/scripts/artist-store.js",
        "db/migrations/sqlite/20260101000001_create_event_log.sql",
        "db/migrations/postgres/20261130000001_create_event_log.sql",
        "web/index.html",
        "web/app.js",
        "package.json",
        "README.md",
      ]),
    );
    expect(files.filter((f) => f.startsWith("test/") || f.startsWith("src/") || f.startsWith("scripts/"))).toEqual([]);

    // Install the tarball as npm would lay it out, with its dependencies linked from this
    // project (a real `npm install` would compile better-sqlite3 for about 90 s).
    const modules = join(scratch, "node_modules");
    mkdirSync(join(modules, ".bin"), { recursive: true });
    execFileSync("tar", ["xzf", join(scratch, info.filename), "-C", modules]);
    renameSync(join(modules, "package"), join(modules, "ai-artist-store"));
    const manifest = z
      .object({ dependencies: z.record(z.string(), z.string()) })
      .parse(JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")));
    for (const dep of Object.keys(manifest.dependencies)) {
      // A scoped package (@hono/node-server) lives in its scope's folder.
      mkdirSync(dirname(join(modules, dep)), { recursive: true });
      symlinkSync(join(ROOT, "node_modules", dep), join(modules, dep));
    }
    symlinkSync(join("..", "ai-artist-store", "bin", "artist-store.js"), join(modules, ".bin", "artist-store"));
    writeFileSync(join(scratch, "package.json"), JSON.stringify({ name: "consumer", type: "module", private: true }));

    writeFileSync(
      join(scratch, "pipeline.ts"),
      `import { openStore, StoreError, type ImageRow } from "ai-artist-store";
import { given } from "ai-artist-store/testing";
const store = openStore({ url: "sqlite:pipeline.db", migrate: true, producer: "consumer" });
store.emit.imageGenerated({ filename: "a.png", prompt: "a fox", modelId: "sdxl" }, { occurredAt: "2026-01-08T12:00:00Z" });
store.emit.imageCurated({ filename: "a.png", status: "curated", finalScore: 9.1, isFeatured: true });
const rows: ImageRow[] = store.queries.recentHighQualityImages({ minScore: 9 });
try { store.emit.imageCurated({ filename: "missing.png", status: "rejected" }); } catch (e) { if (e instanceof StoreError) console.log(e.code); }
console.log(JSON.stringify(rows.map((r) => [r.filename, r.finalScore, r.isFeatured])));
console.log(typeof given);
store.close();
`,
    );
    // The operators' subpath works on the same database; the root export stays the pipeline's store, without
    // rebuild/audit and without the CLI's internals.
    writeFileSync(
      join(scratch, "operator.ts"),
      `import * as root from "ai-artist-store";
import { auditProjections, PROJECTION_NAMES, type AuditReport } from "ai-artist-store/operations";
import { createTestStore } from "ai-artist-store/testing";
const store = root.openStore({ url: "sqlite:pipeline.db" });
const report: AuditReport = auditProjections(store);
console.log(report.ok, report.events, PROJECTION_NAMES.length > 0);
store.close();
console.log(["rebuildProjections", "auditProjections", "runCli", "createProgress", "formatRate"].filter((n) => n in root).join(","));
console.log(typeof createTestStore);
`,
    );
    writeFileSync(
      join(scratch, "tsconfig.json"),
      JSON.stringify({
        compilerOptions: {
          module: "NodeNext",
          moduleResolution: "NodeNext",
          target: "ES2022",
          strict: true,
          outDir: "out",
          skipLibCheck: true,
          types: [],
        },
        include: ["pipeline.ts", "operator.ts"],
      }),
    );
    // The declarations type-check a consumer, and the compiled consumer runs against the installed JavaScript.
    execFileSync(process.execPath, [join(ROOT, "node_modules", "typescript", "bin", "tsc"), "-p", scratch], {
      cwd: scratch,
      encoding: "utf8",
    });
    const run = spawnSync(process.execPath, [join(scratch, "out", "pipeline.js")], { cwd: scratch, encoding: "utf8" });
    expect(run.stderr).toBe("");
    expect(run.stdout).toBe(`STREAM_NOT_FOUND\n[["a.png",9.1,true]]\nfunction\n`);
    const operator = spawnSync(process.execPath, [join(scratch, "out", "operator.js")], {
      cwd: scratch,
      encoding: "utf8",
    });
    expect(operator.stderr).toBe("");
    expect(operator.stdout).toBe("true 2 true\n\nfunction\n");

    const env = { ...process.env, NO_COLOR: "1", DATABASE_URL: "sqlite:pipeline.db" };
    const query = spawnSync(join(modules, ".bin", "artist-store"), ["query", "recent", "--json"], {
      cwd: scratch,
      encoding: "utf8",
      env,
    });
    expect(query.status).toBe(0);
    expect(JSON.parse(query.stdout)).toEqual([expect.objectContaining({ filename: "a.png", finalScore: 9.1 })]);
    const emit = spawnSync(join(modules, ".bin", "artist-store"), ["emit", "--json"], {
      cwd: scratch,
      encoding: "utf8",
      env,
      input: `${JSON.stringify({ type: "BatchStarted", data: { batchId: "b1" } })}\n`,
    });
    expect(emit.status).toBe(0);
    expect(JSON.parse(emit.stdout)).toMatchObject({ accepted: 1, firstPosition: 3 });
  });
});

describe("the published type declarations", () => {
  // A consumer's own project: the tarball and each TypeScript major the registry serves, installed by npm into the
  // consumer's node_modules (scripts skipped: type-checking needs no compiled better-sqlite3), checked strictly.
  const compilers = ["5.9", "6.0", "7.0"];

  it(`type-check a strict consumer with skipLibCheck off on TypeScript ${compilers.join(", ")}`, () => {
    const scratch = tempDir();
    const packed = execFileSync(npm, ["pack", "--ignore-scripts", "--json", "--pack-destination", scratch], {
      cwd: ROOT,
      encoding: "utf8",
    });
    const [info] = z.array(z.object({ filename: z.string() })).parse(JSON.parse(packed));
    if (!info) throw new Error("npm pack printed nothing");
    writeFileSync(join(scratch, "package.json"), JSON.stringify({ name: "consumer", type: "module", private: true }));
    execFileSync(
      npm,
      [
        "install",
        "--ignore-scripts",
        "--no-audit",
        "--no-fund",
        `./${info.filename}`,
        ...compilers.map((v) => `ts${v.replace(".", "")}@npm:typescript@${v}`),
      ],
      { cwd: scratch, encoding: "utf8" },
    );
    writeFileSync(
      join(scratch, "app.ts"),
      `import { openStore, StoreError, type Store, type StoredEvent } from "ai-artist-store";
import { auditProjections, backupDatabase, diagnose } from "ai-artist-store/operations";
import { createTestStore, given } from "ai-artist-store/testing";
const store: Store = openStore({ url: "sqlite:x.db", migrate: true });
const events: StoredEvent[] = store.readStream("image:a.png");
console.log(events.length, store.db.open, auditProjections, backupDatabase, diagnose, createTestStore, given, StoreError);
`,
    );
    writeFileSync(
      join(scratch, "tsconfig.json"),
      JSON.stringify({
        compilerOptions: {
          module: "NodeNext",
          moduleResolution: "NodeNext",
          target: "ES2022",
          strict: true,
          skipLibCheck: false,
          noEmit: true,
          types: [],
        },
        include: ["app.ts"],
      }),
    );
    for (const v of compilers) {
      const tsc = spawnSync(
        process.execPath,
        [join(scratch, "node_modules", `ts${v.replace(".", "")}`, "bin", "tsc"), "-p", "."],
        {
          cwd: scratch,
          encoding: "utf8",
        },
      );
      expect(`TypeScript ${v}: ${tsc.stdout}${tsc.stderr}`).toBe(`TypeScript ${v}: `);
      expect(tsc.status).toBe(0);
    }
  }, 300_000);
});
