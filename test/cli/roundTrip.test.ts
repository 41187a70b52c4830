import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { openStore } from "../../src/index.js";
import { snapshot } from "../../src/testing/index.js";
import { tempDir } from "../support.js";
import { cli, json, jsonLines } from "./run.js";

const QUERIES = ["recent", "uncurated", "quality", "training", "daily"];

/** Every table but the log, and the log without what belongs to the store that wrote it (recorded_at, hash). */
const contentOf = (db: string) => {
  const store = openStore({ url: db });
  try {
    // consumers: followers of the source store (the demo has one), not a projection of its log.
    const { events, consumers: _consumers, ...tables } = snapshot(store);
    return { ...tables, events: (events ?? []).map(({ recorded_at: _r, hash: _h, ...kept }) => kept) };
  } finally {
    store.close();
  }
};
const queriesOf = (db: string) =>
  Object.fromEntries(QUERIES.map((q) => [q, json(cli(["query", q, "--db", db, "--json"]))]));

describe("events | emit round trip", () => {
  it("imports what `events --nl` exported: the same queries and tables, and a second import is all duplicates", () => {
    const dir = tempDir();
    const source = join(dir, "source.db");
    const target = join(dir, "target.db");
    expect(cli(["demo", "--db", source, "--json"]).code).toBe(0);
    const exported = cli(["events", "--db", source, "--nl"]);
    expect(exported.code).toBe(0);
    const lines = jsonLines(exported.stdout);
    expect(lines.length).toBeGreaterThan(500);
    const file = join(dir, "log.jsonl");
    writeFileSync(file, exported.stdout);

    expect(cli(["migrate", "--db", target]).code).toBe(0);
    const first = cli(["emit", file, "--db", target, "--json"]);
    expect(first.stderr).toBe("");
    expect(json(first)).toMatchObject({ lines: lines.length, accepted: lines.length, duplicates: 0, rejected: [] });
    expect(first.code).toBe(0);
    expect(queriesOf(target)).toEqual(queriesOf(source));
    expect(contentOf(target)).toEqual(contentOf(source));

    const again = cli(["emit", file, "--db", target, "--json"]);
    expect(again.code).toBe(0);
    expect(json(again)).toMatchObject({ accepted: lines.length, duplicates: lines.length, rejected: [] });
    expect(contentOf(target)).toEqual(contentOf(source));
  });

  it("refuses a line whose streamId is not the stream its data names, by line number and both values", () => {
    const dir = tempDir();
    const db = join(dir, "a.db");
    expect(cli(["migrate", "--db", db]).code).toBe(0);
    const stored = {
      position: 7,
      eventId: "e-1",
      streamId: "image:b.png",
      streamVersion: 1,
      type: "ImageGenerated",
      schemaVersion: 1,
      data: { filename: "a.png", prompt: "p", modelId: "m" },
      metadata: {},
      occurredAt: "2026-01-08T12:00:00.000Z",
      recordedAt: "2026-01-09T00:00:00.000Z",
    };
    const r = cli(["emit", "--db", db, "--json"], { input: `\n${JSON.stringify(stored)}\n` });
    expect(r.code).toBe(1);
    expect(json(r)).toMatchObject({
      accepted: 0,
      rejected: [
        {
          line: 2,
          code: "INVALID_EVENT",
          message: 'line 2: streamId "image:b.png" is not the stream its data names ("image:a.png")',
        },
      ],
    });
    expect(json(cli(["events", "--db", db, "--json"]))).toEqual([]);
  });

  it("emit --follow takes stored events too, acknowledging each with the eventId it kept", async () => {
    const dir = tempDir();
    const source = join(dir, "source.db");
    const target = join(dir, "target.db");
    expect(cli(["demo", "--db", source, "--json"]).code).toBe(0);
    expect(cli(["migrate", "--db", target]).code).toBe(0);
    const exported = cli(["events", "--db", source, "--nl", "--limit", "3"]).stdout;
    const r = cli(["emit", "--follow", "--db", target], { input: exported });
    expect(r.code).toBe(0);
    expect(jsonLines(r.stdout)).toEqual(
      jsonLines(exported).map((e, i) => ({
        line: i + 1,
        ok: true,
        position: i + 1,
        eventId: (e as { eventId: string }).eventId,
        streamId: (e as { streamId: string }).streamId,
        streamVersion: (e as { streamVersion: number }).streamVersion,
        duplicate: false,
      })),
    );
  });

  it("says that `events --json` (one array) is not JSON lines, and writes nothing", () => {
    const dir = tempDir();
    const source = join(dir, "source.db");
    const target = join(dir, "target.db");
    expect(cli(["demo", "--db", source, "--json"]).code).toBe(0);
    expect(cli(["migrate", "--db", target]).code).toBe(0);
    const array = cli(["events", "--db", source, "--json", "--limit", "3"]).stdout;
    for (const input of [array, JSON.stringify(JSON.parse(array))]) {
      const r = cli(["emit", "--db", target], { input });
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/^error: line 1: .*JSON array.*`events --nl`/);
      expect(r.stderr.split("\n").filter(Boolean)).toHaveLength(1);
    }
    expect(json(cli(["events", "--db", target, "--json"]))).toEqual([]);
  });
});
