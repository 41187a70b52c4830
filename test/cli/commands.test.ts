import { spawnSync } from "node:child_process";
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import pc from "picocolors";
import { describe, expect, it } from "vitest";
import type { Io } from "../../src/cli/common.js";
import { runCli } from "../../src/cli/main.js";
import { tempDir } from "../support.js";
import { cli, json, ROOT } from "./run.js";

/** The command line in this process, output captured: the same code as the subprocess, without a spawn per case. */
const inProcess = async (args: readonly string[]) => {
  let stdout = "";
  let stderr = "";
  const io: Io = {
    out: (t) => {
      stdout += t;
    },
    write: async (t) => {
      stdout += t;
      return true;
    },
    err: (t) => {
      stderr += t;
    },
    tty: false,
    errTty: false,
    color: pc.createColors(false),
    errColor: pc.createColors(false),
  };
  const code = await runCli(["node", "artist-store", ...args], io);
  return { code, stdout, stderr };
};

const COMMANDS = [
  "demo",
  "migrate",
  "migrate status",
  "migrate rollback",
  "emit",
  "events",
  "query",
  "query recent",
  "query daily",
  "backup",
  "backup prune",
  "backup list",
  "restore",
  "doctor",
];

describe("artist-store: help and usage", () => {
  it("prints help for the whole program and names every command", () => {
    const r = cli(["--help"]);
    expect(r.code).toBe(0);
    for (const c of ["demo", "migrate", "emit", "events", "query", "backup", "restore", "doctor"])
      expect(r.stdout).toContain(c);
    expect(r.stdout).toContain("Exit codes: 0 ok, 1 failure or drift, 2 usage error");
  });

  it.each(COMMANDS)("prints help for `%s`", async (command) => {
    const r = await inProcess([...command.split(" "), "--help"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`Usage: artist-store ${command.split(" ")[0]}`);
    expect(r.stdout).toMatch(/--db|Commands:/);
  });

  it.each([
    [["frobnicate"], /unknown command 'frobnicate'/],
    [["query", "recent", "--limit", "ten"], /--limit <n>.*expected an integer, got "ten"/],
    [["query", "recent", "--bogus"], /unknown option '--bogus'/],
    [["events", "--type", "ImageDeleted"], /unknown event type "ImageDeleted"/],
    [["events", "--since", "yesterday"], /expected an ISO-8601 time/],
    [["emit", "/no/such/file.jsonl"], /cannot read \/no\/such\/file.jsonl: no such file/],
    [["emit", "--follow", "x.jsonl"], /--follow reads stdin/],
    [["restore"], /missing required argument 'file'/],
  ])("exits 2 with one line on stderr for a usage error: %j", async (args, message) => {
    const r = await inProcess(args);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(r.stderr.trim().split("\n")).toHaveLength(1);
  });

  it("runs from a clone through bin/artist-store.js, the package's bin, without a build", () => {
    const r = spawnSync(process.execPath, [join(ROOT, "bin", "artist-store.js"), "--version"], { encoding: "utf8" });
    expect(r.status).toBe(0);
    expect(r.stdout.trim()).toBe(JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")).version);
  });

  it("exits 2 and shows help when no command is given", () => {
    const r = cli([]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("Usage: artist-store");
  });

  it("exits 2 from the real process on a usage error, with the message on stderr only", () => {
    const r = cli(["query", "recent", "--limit", "0"]);
    expect(r).toEqual({
      code: 2,
      stdout: "",
      stderr: "error: option '--limit <n>' argument '0' is invalid. expected an integer >= 1, got 0\n",
    });
  });
});

describe("artist-store: store errors", () => {
  it("exits 1 naming the missing database and the command that creates it", () => {
    const db = join(tempDir(), "missing.db");
    const r = cli(["query", "recent", "--db", db]);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(
      `error: database ${db} does not exist: run \`npx artist-store migrate --db ${db}\` (or openStore({ migrate: true }))\n`,
    );
  });

  it("quotes the database path in the hint, so that a shell reads it back whole", async () => {
    const dir = tempDir();
    const db = join(dir, "it's mine.db");
    const r = await inProcess(["query", "recent", "--db", db]);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(
      `error: database ${db} does not exist: run \`npx artist-store migrate --db '${dir}/it'\\''s mine.db'\` ` +
        "(or openStore({ migrate: true }))\n",
    );
    const quoted = /--db (.*)` \(or/.exec(r.stderr)?.[1] ?? "";
    expect(spawnSync("sh", ["-c", `printf %s ${quoted}`], { encoding: "utf8" }).stdout).toBe(db);
  });

  it("exits 1 on a file that is not SQLite", () => {
    const db = join(tempDir(), "junk.db");
    writeFileSync(db, "this is not a database, just text that is long enough to fill a header ".repeat(20));
    const r = cli(["query", "quality", "--db", db]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^error: .*junk\.db is not a SQLite database/);
  });

  it("takes the database from DATABASE_URL when --db is absent", () => {
    const dir = tempDir();
    expect(cli(["migrate"], { env: { DATABASE_URL: `sqlite:${join(dir, "env.db")}` } }).code).toBe(0);
    const r = cli(["migrate", "status", "--json"], { env: { DATABASE_URL: `sqlite:${join(dir, "env.db")}` } });
    expect(json(r)).toMatchObject({ path: join(dir, "env.db"), exists: true, pending: [], current: true });
  });

  it("refuses a DATABASE_URL of another scheme with one line, exit 2, and creates nothing", () => {
    const dir = tempDir();
    const r = cli(["migrate"], { env: { DATABASE_URL: "mysql://localhost/x" }, cwd: dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(
      "error: unsupported database URL mysql://localhost/x: the supported schemes are sqlite: and sqlite3: (a plain file path needs none)\n",
    );
    expect(readdirSync(dir)).toEqual([]);
  });

  it("takes --db before the command, as dbmate users place --url, and a --db path byte for byte", () => {
    const dir = tempDir();
    expect(cli(["--db", "q?x%41.db", "migrate"], { cwd: dir }).code).toBe(0);
    expect(readdirSync(dir)).toEqual(["q?x%41.db"]);
    const emitted = cli(["emit", "--db", "q?x%41.db", "-"], {
      cwd: dir,
      input: '{"type":"BatchStarted","data":{"batchId":"b1"}}\n',
    });
    expect(emitted.code).toBe(0);
    expect(cli(["--db=q?x%41.db", "events"], { cwd: dir }).stdout.trim().split("\n")).toHaveLength(1);
  });
});

describe("artist-store demo --day", () => {
  it.each(["2026-13-01", "tomorrow", "2026-02-30"])("refuses --day %s with a message naming it, exit 2", (day) => {
    const r = cli(["demo", "--db", join(tempDir(), "d.db"), "--day", day]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(new RegExp(`^error: option '--day <date>' argument '${day}' is invalid\\. expected `));
  });
});

describe("artist-store migrate", () => {
  it("dump writes the schema dbmate dumps, the same as the committed db/schema.sql", () => {
    const dir = tempDir();
    const db = join(dir, "d.db");
    expect(cli(["migrate", "dump", "--db", db]).code).toBe(1);
    expect(cli(["migrate", "--db", db]).code).toBe(0);
    const r = cli(["migrate", "dump", "--db", db, "--schema-file", join(dir, "schema.sql")]);
    expect(r.code).toBe(0);
    expect(readFileSync(join(dir, "schema.sql"), "utf8")).toBe(readFileSync(join(ROOT, "db", "schema.sql"), "utf8"));
  });

  it("new refuses a migration name dbmate would mangle, and lists itself in the help", () => {
    const r = cli(["migrate", "new", "Add Column"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe('error: migration name "Add Column": use lower-case letters, digits and underscores\n');
    expect(cli(["migrate", "--help"]).stdout).toMatch(/new <name>\s+create a migration file/);
  });

  it("status leaves no -wal or -shm file behind", () => {
    const dir = tempDir();
    const db = join(dir, "s.db");
    expect(cli(["migrate", "--db", db]).code).toBe(0);
    expect(cli(["migrate", "status", "--db", db]).code).toBe(0);
    expect(readdirSync(dir)).toEqual(["s.db"]);
  });

  it("creates the database, reports status, rolls back one migration and refuses to open a database behind the code", () => {
    const db = join(tempDir(), "m.db");
    const before = cli(["migrate", "status", "--db", db, "--json"]);
    expect(before.code).toBe(1);
    expect(json(before)).toMatchObject({ exists: false, applied: [], current: false });

    const up = cli(["migrate", "--db", db, "--json"]);
    expect(up.code).toBe(0);
    const { applied } = json(up) as { applied: string[] };
    expect(applied.length).toBeGreaterThanOrEqual(3);
    expect(json(cli(["migrate", "up", "--db", db, "--json"]))).toEqual({ path: db, applied: [], chained: 0 });

    const status = cli(["migrate", "status", "--db", db]);
    expect(status.code).toBe(0);
    expect(status.stdout).toContain("create_event_log");

    const rollback = cli(["migrate", "rollback", "--db", db, "--json"]);
    expect(rollback.code).toBe(0);
    expect(json(rollback)).toEqual({ path: db, rolledBack: applied.at(-1) });
    expect(json(cli(["migrate", "status", "--db", db, "--json"]))).toMatchObject({
      pending: [applied.at(-1)],
      current: false,
    });

    const query = cli(["query", "recent", "--db", db]);
    expect(query.code).toBe(1);
    expect(query.stderr).toMatch(/pending migration\(s\).*run `npx artist-store migrate --db [^`]+`/);
    expect(cli(["migrate", "--db", db]).code).toBe(0);
    expect(cli(["query", "recent", "--db", db]).code).toBe(0);
  });

  it("refuses to roll back a database that does not exist", () => {
    const r = cli(["migrate", "rollback", "--db", join(tempDir(), "none.db")]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^error: database .*none\.db does not exist: nothing to roll back\n$/);
  });
});

describe("artist-store demo and query", () => {
  it("plays the pipeline day once, then appends nothing on a second run, and prints the five queries", () => {
    const db = join(tempDir(), "demo.db");
    const first = cli(["demo", "--db", db, "--json"]);
    expect(first.code).toBe(0);
    const report = json(first) as {
      appended: number;
      duplicates: number;
      head: number;
      queries: Record<string, unknown[]>;
    };
    expect(report.appended).toBeGreaterThan(300);
    expect(report.duplicates).toBe(0);
    expect(Object.keys(report.queries)).toEqual([
      "recent-high-quality-images",
      "uncurated-images",
      "quality-distribution",
      "training-session-statistics",
      "daily-creation-statistics",
    ]);
    expect(report.queries["training-session-statistics"]).toEqual([
      expect.objectContaining({ name: "portrait_style_v1", status: "failed" }),
      expect.objectContaining({ name: "landscape_style_v1", status: "completed" }),
    ]);
    expect(report.queries["uncurated-images"]).toHaveLength(10);

    const again = json(cli(["demo", "--db", db, "--json"])) as typeof report;
    expect(again).toMatchObject({ appended: 0, duplicates: report.appended, head: report.head });

    const human = cli(["demo", "--db", db]);
    expect(human.code).toBe(0);
    for (const title of [
      "Recent high-quality images",
      "Uncurated images",
      "Quality distribution",
      "Training session statistics",
      "Daily creation statistics",
    ])
      expect(human.stdout).toContain(title);
    expect(human.stdout).toContain("█");
    // stdout is a pipe here: no colour codes, whatever the environment says about CI.
    expect(human.stdout).not.toContain("\u001b[");
  });

  it("runs each documented query with its flags, as a table or as JSON", () => {
    const db = join(tempDir(), "q.db");
    cli(["demo", "--db", db, "--json"]);
    const recent = json(
      cli(["query", "recent-high-quality-images", "--db", db, "--min-score", "9", "--limit", "3", "--json"]),
    ) as { finalScore: number; status: string }[];
    expect(recent).toHaveLength(3);
    for (const row of recent) expect(row).toMatchObject({ status: "curated", finalScore: expect.any(Number) });
    expect(Math.min(...recent.map((r) => r.finalScore))).toBeGreaterThanOrEqual(9);
    expect(json(cli(["query", "uncurated", "--db", db, "--limit", "2", "--json"]))).toHaveLength(2);
    const tiers = json(cli(["query", "qualityDistribution", "--db", db, "--json"])) as {
      qualityTier: string;
      count: number;
    }[];
    expect(tiers.map((t) => t.qualityTier)).toEqual(["Excellent", "Good", "Fair"]);
    expect(json(cli(["query", "training", "--db", db, "--limit", "1", "--json"]))).toHaveLength(1);
    const daily = cli(["query", "daily", "--db", db]);
    expect(daily.code).toBe(0);
    expect(daily.stdout).toMatch(/2026-01-08 created █+ \d+/);
    const quality = cli(["query", "quality", "--db", db]);
    expect(quality.stdout).toMatch(/Excellent █+ \d+/);
  });
});
