import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { openConnection } from "../../src/db/connection.js";
import { tempDir } from "../support.js";
import { cli, json } from "./run.js";

describe("artist-store doctor", () => {
  it("reports sizes, rows of every table, pragmas, migrations, integrity, indexes and query plans", () => {
    const db = join(tempDir(), "doc.db");
    cli(["demo", "--db", db, "--json"]);
    const r = cli(["doctor", "--db", db, "--json"]);
    expect(r.code).toBe(0);
    const report = json(r) as {
      files: { databaseBytes: number };
      pages: { pageCount: number; pageSize: number };
      tables: { name: string; rows: number }[];
      pragmas: { inForce: Record<string, unknown> };
      migrations: { pending: string[]; unknown: string[] };
      logHead: number;
      integrity: string[];
      indexes: { table: string; name: string; columns: string[] }[];
      queryPlans: { query: string; plan: string[]; warnings: string[] }[];
      problems: string[];
      warnings: string[];
    };
    expect(report.files.databaseBytes).toBe(report.pages.pageCount * report.pages.pageSize);
    const rows = Object.fromEntries(report.tables.map((t) => [t.name, t.rows]));
    expect(Object.keys(rows)).toEqual(
      expect.arrayContaining([
        "events",
        "generated_images",
        "training_sessions",
        "creation_sessions",
        "schema_migrations",
      ]),
    );
    expect(rows.events).toBe(report.logHead);
    expect(rows.training_sessions).toBe(2);
    expect(report.pragmas.inForce).toMatchObject({
      journal_mode: "wal",
      synchronous: 1,
      cache_size: -64000,
      temp_store: 2,
      foreign_keys: 1,
    });
    expect(report.migrations).toMatchObject({ pending: [], unknown: [] });
    expect(report.integrity).toEqual([]);
    expect(report.indexes).toContainEqual({
      table: "generated_images",
      name: "idx_status_score",
      columns: ["status", "final_score"],
      unique: false,
      origin: "c",
    });
    expect(report.queryPlans.map((p) => p.query)).toEqual([
      "recentHighQualityImages",
      "uncuratedImages",
      "qualityDistribution",
      "trainingSessionStatistics",
      "dailyCreationStatistics",
    ]);
    for (const p of report.queryPlans) expect(p.plan.length).toBeGreaterThan(0);
    // Every warning comes from a plan line that really is a scan or a temp B-tree.
    for (const p of report.queryPlans)
      for (const w of p.warnings)
        expect(p.plan.some((line) => /^\s*(SCAN|USE TEMP B-TREE)/.test(line) && w.includes(line.trim()))).toBe(true);
    expect(report.warnings).toEqual(report.queryPlans.flatMap((p) => p.warnings));
    expect(report.problems).toEqual([]);
    // A healthy store reports healthy: the quality tiers are at most four rows, so their scan and sort are no warning.
    expect(report.queryPlans.find((p) => p.query === "qualityDistribution")?.plan).toContain("SCAN quality_tiers");
    expect(report.warnings).toEqual([]);

    const human = cli(["doctor", "--db", db, "--quick"]);
    expect(human.code).toBe(0);
    expect(human.stdout).toMatch(/\nhealthy\n$/);
    for (const section of ["Rows per table", "Pragmas in force", "Migrations", "quick_check", "Indexes", "Query plans"])
      expect(human.stdout).toContain(section);
  });

  it("warns of missing planner statistics with the fix, and is healthy after `artist-store optimize`", () => {
    const db = join(tempDir(), "doc.db");
    cli(["demo", "--db", db, "--json"]);
    const c = openConnection(db);
    c.exec("DROP TABLE IF EXISTS sqlite_stat1; DROP TABLE IF EXISTS sqlite_stat4");
    c.close();
    type Report = {
      statistics: { tables: string[]; missing: { table: string; indexes: string[] }[] };
      warnings: string[];
      problems: string[];
    };
    const before = cli(["doctor", "--db", db, "--json"]);
    expect(before.code).toBe(0);
    const sick = json(before) as Report;
    expect(sick.statistics.tables).toEqual(expect.arrayContaining(["generated_images", "training_sessions"]));
    expect(sick.statistics.missing.map((m) => m.table)).toContain("generated_images");
    expect(sick.warnings).toContainEqual(
      expect.stringMatching(
        /^no planner statistics for generated_images \(.*idx_status_score.*\): .*run `(npx )?artist-store optimize --db .*doc\.db`$/,
      ),
    );
    expect(sick.problems).toEqual([]);
    const human = cli(["doctor", "--db", db, "--quick"]);
    expect(human.stdout).toMatch(/warning: no planner statistics for generated_images/);
    expect(human.stdout).toMatch(/\nhealthy, \d+ warning\(s\)\n$/);

    const fix = cli(["optimize", "--db", db, "--json"]);
    expect(fix.code).toBe(0);
    expect(json(fix)).toMatchObject({ analyzed: expect.arrayContaining(["events", "generated_images"]), missing: [] });
    expect(cli(["optimize", "--db", db]).stdout).toMatch(/: statistics already current \(\d+ ms\)\n$/);
    const after = json(cli(["doctor", "--db", db, "--json"])) as Report;
    expect(after.statistics.missing).toEqual([]);
    expect(after.warnings).toEqual([]);
    expect(cli(["doctor", "--db", db, "--quick"]).stdout).toMatch(/\nhealthy\n$/);
  });

  it("exits 1 and names the problem when migrations are pending", () => {
    const db = join(tempDir(), "behind.db");
    cli(["migrate", "--db", db]);
    cli(["migrate", "rollback", "--db", db]);
    const r = cli(["doctor", "--db", db, "--json"]);
    expect(r.code).toBe(1);
    expect((json(r) as { problems: string[] }).problems).toEqual([
      expect.stringMatching(/^1 pending migration\(s\) \(\d+\): run `npx artist-store migrate --db [^`]+`$/),
    ]);
  });

  it("reports a dropped table instead of crashing", () => {
    const db = join(tempDir(), "dropped.db");
    cli(["demo", "--db", db, "--json"]);
    const conn = openConnection(db);
    conn.exec("DROP TABLE events");
    conn.close();
    const r = cli(["doctor", "--db", db, "--json"]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(1);
    const report = json(r) as { problems: string[]; logHead: number | null; projections: unknown[] };
    expect(report.problems).toEqual([
      `table events is missing (its migrations created it): restore the database from a backup (\`npx artist-store restore <backup> --db ${db}\`)`,
    ]);
    expect(report).toMatchObject({ logHead: null, projections: [] });
    const human = cli(["doctor", "--db", db]);
    expect(human.code).toBe(1);
    expect(human.stdout).toContain("problem: table events is missing");
  });
});
