// scripts/bench/huge.ts (issue 13, target 7) at a tiny size: it runs, and writes every key
// docs/performance.md documents for it, each a figure. The 10,000,000-event run is not in CI.
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { QUERY_NAMES } from "../../src/index.js";
import { tempDir } from "../support.js";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const OPERATION_KEYS = [
  "eventsPerSec",
  "peakRssMb",
  "rssRatioTo1M",
  "speedRatioTo1M",
  "small.eventsPerSec",
  "large.peakRssMb",
];
/** The documented keys, under `huge.`. */
const KEYS = [
  "events",
  "images",
  "append.eventsPerSec",
  "append.cpuEventsPerSec",
  "append.lastToFirstSlice",
  "append.cpuLastToFirstSlice",
  "append.rssLastToFirstSlice",
  "bytesPerEvent",
  "bytesPerImage",
  "databaseBytes",
  "tableBytesPerEvent.events",
  "tableBytesPerEvent.generated_images",
  "rawDirectBytesPerImage",
  "bytesPerImageRatioToRawDirect",
  "rawDirect.eventsPerSec",
  ...["rebuild", "audit", "consumer"].flatMap((o) => OPERATION_KEYS.map((k) => `${o}.${k}`)),
  ...QUERY_NAMES.flatMap((q) => [`queries.${q}.p50Ms`, `queries.${q}.p99Ms`]),
  "jsonb.textPayloadBytesPerEvent",
  "jsonb.jsonbPayloadBytesPerEvent",
  "jsonb.textLogBytesPerEvent",
  "jsonb.jsonbLogBytesPerEvent",
  "jsonb.insertCpuRatio",
  "jsonb.readCpuRatio",
  "jsonb.roundTripMismatches",
];

const at = (value: unknown, path: string): unknown =>
  path
    .split(".")
    .reduce<unknown>((v, k) => (typeof v === "object" && v !== null ? Reflect.get(v, k) : undefined), value);

describe("scripts/bench/huge.ts", () => {
  it("writes every documented huge.* key as a figure, at 2,000 events", () => {
    const dir = tempDir();
    const json = join(dir, "huge.json");
    const run = spawnSync(
      process.execPath,
      ["--import", "tsx", join(ROOT, "scripts/bench/huge.ts"), "--events", "2000", "--json", json],
      { cwd: ROOT, encoding: "utf8", env: { ...process.env, BENCH_DIR: dir } },
    );
    expect(run.status, run.stderr).toBe(0);
    const written: unknown = JSON.parse(readFileSync(json, "utf8"));
    const missing = KEYS.filter((k) => !Number.isFinite(at(written, `huge.${k}`)));
    expect(missing).toEqual([]);
    expect(at(written, "huge.events")).toBe(2000);
    expect(at(written, "huge.audit.large.ok")).toBe(true);
    expect(at(written, "huge.consumer.large.events")).toBe(2000);
    expect(at(written, "huge.jsonb.roundTripExact")).toBeTypeOf("boolean");
  });

  it("docs/performance.md documents each of those keys", () => {
    const docs = readFileSync(join(ROOT, "docs/performance.md"), "utf8");
    const section = docs.slice(docs.indexOf("## Scale: 10 million events (--huge)"));
    expect(section.startsWith("## Scale")).toBe(true);
    // The docs name a query's keys once, as huge.queries.<query>.p50Ms, and an operation's once, as huge.<operation>.….
    const documented = (k: string) =>
      section.includes(`huge.${k}`) ||
      (k.startsWith("queries.") && section.includes(`huge.queries.<query>.${k.split(".").at(-1)}`)) ||
      (/^(rebuild|audit|consumer)\./.test(k) &&
        section.includes(`huge.<operation>.${k.split(".").slice(1).join(".")}`));
    expect(KEYS.filter((k) => !documented(k))).toEqual([]);
  });
});
