import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { openStore } from "../../src/index.js";
import { tempDir } from "../support.js";
import { cli, json, jsonLines } from "./run.js";

/** A log of `days` days from 2026-01-01, one batch a day; every tenth day's batch has no score (or none has any). */
const batchDays = (days: number, { scored = true } = {}) => {
  const lines: string[] = [];
  for (let i = 0; i < days; i++) {
    const day = new Date(Date.UTC(2026, 0, 1 + i)).toISOString().slice(0, 10);
    const created = 200 + ((i * 37) % 90);
    const kept = Math.floor(created * (0.2 + ((i * 13) % 30) / 100));
    const avgScore = scored && i % 10 !== 3 ? 5 + ((i * 7) % 30) / 10 : null;
    lines.push(
      JSON.stringify({ type: "BatchStarted", occurredAt: `${day}T09:00:00Z`, data: { batchId: `b-${day}` } }),
      JSON.stringify({
        type: "BatchFinished",
        occurredAt: `${day}T10:00:00Z`,
        data: { batchId: `b-${day}`, imagesCreated: created, imagesKept: kept, avgScore },
      }),
    );
  }
  const db = join(tempDir(), "days.db");
  expect(cli(["migrate", "--db", db]).code).toBe(0);
  expect(cli(["emit", "--db", db], { input: lines.join("\n") }).code).toBe(0);
  return db;
};

const TITLES = ["images created per day", "images kept per day", "keep rate (kept / created)", "average score"];

describe("query daily over many days", () => {
  it("prints one small line chart per metric instead of a line per day", () => {
    const db = batchDays(100);
    const r = cli(["query", "daily", "--db", db]);
    expect(r.code).toBe(0);
    const lines = r.stdout.trimEnd().split("\n");
    expect(lines.length).toBeLessThanOrEqual(30);
    expect(lines[0]).toMatch(/^100 days, 2026-01-01 to 2026-04-10, 2 days a column/);
    for (const title of TITLES) expect(lines.some((l) => l.startsWith(title))).toBe(true);
    // Each chart is drawn (axis and line), and fits a terminal of 80 columns.
    expect(lines.filter((l) => /┤|┼/.test(l))).toHaveLength(4 * 5);
    for (const l of lines) expect(l.length).toBeLessThanOrEqual(80);
  });

  it("puts the full table behind --table, and leaves --json, --nl and --csv as they were", () => {
    const db = batchDays(30);
    const table = cli(["query", "daily", "--db", db, "--table"]).stdout;
    expect(table.match(/│ 2026-\d\d-\d\d /g)).toHaveLength(30);
    expect(table).not.toContain("images created per day");

    const store = openStore({ url: db });
    const rows = store.queries.dailyCreationStatistics();
    store.close();
    expect(json(cli(["query", "daily", "--db", db, "--json"]))).toEqual(rows);
    expect(jsonLines(cli(["query", "daily", "--db", db, "--nl"]).stdout)).toEqual(rows);
    const csv = cli(["query", "daily", "--db", db, "--csv"]).stdout.split("\r\n").filter(Boolean);
    expect(csv[0]).toBe("date,sessions,totalCreated,totalKept,avgQuality");
    expect(csv).toHaveLength(31);
  });

  it("draws a gap-free score line when some days have no score, and says so when none has", () => {
    const scored = cli(["query", "daily", "--db", batchDays(12)]).stdout;
    expect(scored).toMatch(/^12 days, 2026-01-01 to 2026-01-12 \(--table: every day\)\n/);
    expect(scored).not.toMatch(/NaN/);
    const unscored = cli(["query", "daily", "--db", batchDays(12, { scored: false })]).stdout;
    expect(unscored).toMatch(/average score\n\(no value on any day\)\n$/);
  });

  it("keeps the table and its bars for a few days", () => {
    const r = cli(["query", "daily", "--db", batchDays(3)]);
    expect(r.stdout.match(/│ 2026-\d\d-\d\d /g)).toHaveLength(3);
    expect(r.stdout).toContain("2026-01-03 created");
  });
});
