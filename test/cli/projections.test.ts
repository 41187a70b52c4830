import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { openConnection } from "../../src/db/connection.js";
import { tempDir } from "../support.js";
import { cli, json } from "./run.js";

const demo = () => {
  const db = join(tempDir(), "p.db");
  const r = cli(["demo", "--db", db, "--json"]);
  expect(r.code).toBe(0);
  return { db, report: json(r) as { head: number; audit: { ok: boolean; position: number } } };
};
const tamper = (db: string, sql: string) => {
  const conn = openConnection(db);
  conn.exec(sql);
  conn.close();
};

describe("artist-store rebuild, audit and as-of", () => {
  it("demo ends with the audit verdict", () => {
    const { db, report } = demo();
    expect(report.audit).toEqual({ ok: true, position: report.head, events: report.head });
    const human = cli(["demo", "--db", db]);
    expect(human.stdout).toMatch(
      new RegExp(
        "Audit: the tables against a replay of the log\\n" +
          "audit ok: generated_images, quality_tiers, training_sessions, creation_sessions, creation_days match the log at position \\d+",
      ),
    );
  });

  it("audit names a tampered row and exits 1; rebuild derives the tables again; doctor sees a lagging checkpoint", () => {
    const { db } = demo();
    tamper(db, "UPDATE generated_images SET final_score = 0.5 WHERE id = 1");
    const audit = cli(["audit", "--db", db]);
    expect(audit.code).toBe(1);
    expect(audit.stdout).toMatch(/generated_images: differs .*final_score live 0\.5 ≠ log/);
    expect((json(cli(["audit", "--db", db, "--json"])) as { ok: boolean }).ok).toBe(false);

    tamper(db, "UPDATE projection_state SET position = position - 1 WHERE projection = 'training_sessions'");
    const doctor = cli(["doctor", "--db", db, "--json"]);
    expect(doctor.code).toBe(1);
    const report = json(doctor) as { projections: { projection: string; state: string }[]; problems: string[] };
    expect(report.projections.find((p) => p.projection === "training_sessions")?.state).toBe("lag");
    expect(report.problems).toEqual([
      expect.stringMatching(
        /projection tables of .* are stale: training_sessions \(at log position \d+, the log is at \d+\)/,
      ),
    ]);
    // Commands that read the tables warn about it on stderr, and still answer.
    const query = cli(["query", "training", "--db", db, "--json"]);
    expect(query.code).toBe(0);
    expect(query.stderr).toMatch(/^warning: ai-artist-store: projection tables of .* are stale/);

    const rebuild = cli(["rebuild", "--db", db, "--json"]);
    expect(rebuild.code).toBe(0);
    expect(json(rebuild)).toMatchObject({
      projections: ["generated_images", "training_sessions", "creation_sessions"],
    });
    expect(cli(["audit", "--db", db]).code).toBe(0);
    expect(cli(["doctor", "--db", db]).code).toBe(0);
    expect(cli(["rebuild", "--db", db, "--only", "creation_sessions"]).stdout).toMatch(
      /^rebuilt creation_sessions, creation_days to log position \d+/,
    );
  });

  it("as-of answers the queries as the tables stood at a position or a time", () => {
    const { db } = demo();
    const first = json(cli(["as-of", "--db", db, "--position", "1", "--query", "training", "--json"]));
    expect(first).toEqual({
      position: 1,
      events: 1,
      queries: {
        "training-session-statistics": [expect.objectContaining({ name: "landscape_style_v1", status: "running" })],
      },
    });
    const byTime = json(
      cli(["as-of", "--db", db, "--time", "2026-01-08T09:00:00Z", "--query", "trainingSessionStatistics", "--json"]),
    ) as { queries: Record<string, { status: string }[]> };
    expect(byTime.queries["training-session-statistics"]?.map((r) => r.status)).toEqual(["failed", "completed"]);
    const all = cli(["as-of", "--db", db, "--time", "2026-01-07"]);
    expect(all.code).toBe(0);
    expect(all.stdout).toContain("as of log position 0 (0 events replayed)");
  });

  it.each([
    [["as-of"], "as-of needs exactly one of --position and --time"],
    [["as-of", "--position", "1", "--time", "2026-01-08"], "as-of needs exactly one of --position and --time"],
    [["as-of", "--position", "1", "--query", "best"], 'unknown query "best"'],
    [["rebuild", "--only", "images"], 'unknown projection "images"'],
  ])("exits 2 on a usage error: %j", (args, message) => {
    const r = cli([...args, "--db", join(tempDir(), "u.db")]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(message);
  });
});
