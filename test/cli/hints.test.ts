import { join } from "node:path";
import Database from "better-sqlite3";
import { describe, expect, it } from "vitest";
import { tempDir } from "../support.js";
import { cli } from "./run.js";

/** The command a hint tells the user to run, as printed between backticks. */
const hinted = (text: string): string[] => [...text.matchAll(/`(npx artist-store [^`]*)`/g)].map((m) => m[1] ?? "");

describe("fix hints repeat the database as the user named it", () => {
  it("a relative --db stays relative, and a path that needs it is quoted", () => {
    const cwd = tempDir();
    for (const [typed, shown] of <const>[
      ["sub/new.db", "sub/new.db"],
      ["./my store.db", "'./my store.db'"],
    ]) {
      const r = cli(["emit", "--db", typed], { cwd, input: "" });
      expect(r.code).toBe(1);
      expect(hinted(r.stderr)).toEqual([`npx artist-store migrate --db ${shown}`]);
    }
  });

  it("DATABASE_URL users get the URL as given; the default needs no --db", () => {
    const cwd = tempDir();
    const viaUrl = cli(["query", "recent"], { cwd, env: { DATABASE_URL: "sqlite:data/store.db" } });
    expect(viaUrl.code).toBe(1);
    expect(hinted(viaUrl.stderr)).toEqual(["npx artist-store migrate --db sqlite:data/store.db"]);
    const byDefault = cli(["events"], { cwd });
    expect(hinted(byDefault.stderr)).toEqual(["npx artist-store migrate"]);
    // --db wins over DATABASE_URL, in the hint as in the command.
    const both = cli(["events", "--db", "other.db"], { cwd, env: { DATABASE_URL: "sqlite:data/store.db" } });
    expect(hinted(both.stderr)).toEqual(["npx artist-store migrate --db other.db"]);
  });

  it("in reports on stdout too: migrate status, and audit's drift", () => {
    const cwd = tempDir();
    const status = cli(["migrate", "status", "--db", "fresh.db"], { cwd });
    expect(hinted(status.stdout)).toEqual(["npx artist-store migrate --db fresh.db"]);

    expect(cli(["demo", "--db", "day.db", "--json"], { cwd }).code).toBe(0);
    const db = new Database(join(cwd, "day.db"));
    db.prepare("UPDATE generated_images SET final_score = 1 WHERE id = 1").run();
    db.close();
    const audit = cli(["audit", "--db", "day.db"], { cwd });
    expect(audit.code).toBe(1);
    expect(hinted(audit.stdout + audit.stderr)).toContain("npx artist-store rebuild --db day.db");
  });
});
