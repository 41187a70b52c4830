import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { isoWeek, planRetention } from "../../src/maintenance/retention.js";

const day = (iso: string) => ({ time: new Date(`${iso}T02:00:00Z`), name: iso });
const everyDay = (from: string, to: string) => {
  const out = [];
  for (let t = Date.parse(`${from}T02:00:00Z`); t <= Date.parse(`${to}T02:00:00Z`); t += 86_400_000)
    out.push(day(new Date(t).toISOString().slice(0, 10)));
  return out;
};
const kept = (plan: ReturnType<typeof planRetention<{ time: Date; name: string }>>) =>
  plan.keep.map((k) => k.backup.name).sort();

describe("backup retention (7 daily, 4 weekly, 12 monthly)", () => {
  it("keeps exactly the document's set from a year of daily backups", () => {
    const plan = planRetention(everyDay("2025-01-01", "2025-12-31"));
    expect(kept(plan)).toEqual(
      [
        // the last 7 days
        "2025-12-25",
        "2025-12-26",
        "2025-12-27",
        "2025-12-28",
        "2025-12-29",
        "2025-12-30",
        "2025-12-31",
        // newest of the 4 most recent ISO weeks: 2026-W01 (Dec 31), W52 (Dec 28), W51 (Dec 21), W50 (Dec 14)
        "2025-12-21",
        "2025-12-14",
        // newest of each of the 12 most recent months
        "2025-01-31",
        "2025-02-28",
        "2025-03-31",
        "2025-04-30",
        "2025-05-31",
        "2025-06-30",
        "2025-07-31",
        "2025-08-31",
        "2025-09-30",
        "2025-10-31",
        "2025-11-30",
      ].sort(),
    );
    expect(plan.keep[0]).toEqual({ backup: day("2025-12-31"), reasons: ["newest", "daily", "weekly", "monthly"] });
    expect(plan.remove).toHaveLength(365 - 20);
  });

  it("keeps 12 monthly backups, not 13, from 14 months of daily backups", () => {
    const plan = planRetention(everyDay("2024-11-01", "2025-12-31"));
    const monthly = plan.keep.filter((k) => k.reasons.includes("monthly")).map((k) => k.backup.name);
    expect(monthly).toEqual([
      "2025-12-31",
      "2025-11-30",
      "2025-10-31",
      "2025-09-30",
      "2025-08-31",
      "2025-07-31",
      "2025-06-30",
      "2025-05-31",
      "2025-04-30",
      "2025-03-31",
      "2025-02-28",
      "2025-01-31",
    ]);
    // The newest of the two oldest months goes: nothing from 2024 is kept.
    expect(kept(plan).filter((name) => name < "2025")).toEqual([]);
    expect(plan.keep).toHaveLength(20);
  });

  it("keeps the 12 newest of 15 monthly backups: a backup per month fills the daily and weekly rules too", () => {
    const months = Array.from({ length: 15 }, (_, i) =>
      day(new Date(Date.UTC(2024, 9 + i, 15)).toISOString().slice(0, 10)),
    );
    const plan = planRetention(months);
    expect(plan.remove.map((b) => b.name)).toEqual(["2024-12-15", "2024-11-15", "2024-10-15"]);
    expect(plan.keep.map((k) => [k.backup.name, k.reasons.includes("monthly")])).toEqual(
      months
        .slice(3)
        .reverse()
        .map((b) => [b.name, true]),
    );
  });

  it("counts periods that have a backup, so a long pause never deletes the last copies", () => {
    const plan = planRetention([...everyDay("2025-01-01", "2025-01-10"), day("2025-06-01")]);
    expect(kept(plan)).toEqual(
      ["2025-01-05", "2025-01-06", "2025-01-07", "2025-01-08", "2025-01-09", "2025-01-10", "2025-06-01"].sort(),
    );
  });

  it("keeps the newest of several backups in a day, and a single backup always", () => {
    const plan = planRetention([
      { time: new Date("2026-01-08T01:00:00Z"), name: "early" },
      { time: new Date("2026-01-08T23:00:00Z"), name: "late" },
    ]);
    expect(kept(plan)).toEqual(["late"]);
    expect(planRetention([day("2020-01-01")]).remove).toEqual([]);
    expect(planRetention([])).toEqual({ keep: [], remove: [] });
  });

  it("names ISO weeks across year ends", () => {
    expect(isoWeek(new Date("2024-12-30T00:00:00Z"))).toBe("2025-W01");
    expect(isoWeek(new Date("2021-01-03T23:59:59Z"))).toBe("2020-W53");
    expect(isoWeek(new Date("2026-01-05T00:00:00Z"))).toBe("2026-W02");
  });

  it("for any backup times: never removes the newest, keeps at most 23, and pruning every day equals pruning once", () => {
    const times = fc.uniqueArray(
      fc.integer({ min: Date.parse("2025-01-01T00:00:00Z"), max: Date.parse("2026-12-31T00:00:00Z") }),
      { minLength: 1, maxLength: 120 },
    );
    fc.assert(
      fc.property(times, (ms) => {
        const backups = ms.map((t) => ({ time: new Date(t), name: String(t) }));
        const once = planRetention(backups);
        const newest = Math.max(...ms);
        expect(once.keep.some((k) => k.backup.time.getTime() === newest)).toBe(true);
        expect(once.keep.length).toBeLessThanOrEqual(1 + 7 + 4 + 12);
        expect(once.keep.length + once.remove.length).toBe(backups.length);
        // A cron job that prunes after every backup ends with the same set as one prune at the end.
        let present: typeof backups = [];
        for (const b of [...backups].sort((x, y) => x.time.getTime() - y.time.getTime())) {
          present = planRetention([...present, b]).keep.map((k) => k.backup);
        }
        expect(present.map((b) => b.name).sort()).toEqual(kept(once));
      }),
      { numRuns: 200 },
    );
  });
});
