import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { describe, expect, it } from "vitest";
import { openStore } from "../../src/index.js";
import { tempDir } from "../support.js";
import { cli, cliProcess, finished, json, jsonLines } from "./run.js";

const line = (value: unknown) => JSON.stringify(value);
const generated = (filename: string, extra: Record<string, unknown> = {}) =>
  line({
    type: "ImageGenerated",
    occurredAt: "2026-01-08T12:00:00Z",
    data: { filename, prompt: `a painting of ${filename}`, modelId: "sdxl" },
    ...extra,
  });
const curated = (filename: string, finalScore: number, extra: Record<string, unknown> = {}) =>
  line({
    type: "ImageCurated",
    occurredAt: "2026-01-08T12:05:00Z",
    data: { filename, status: "curated", finalScore },
    ...extra,
  });

const migrated = () => {
  const db = join(tempDir(), "emit.db");
  expect(cli(["migrate", "--db", db]).code).toBe(0);
  return db;
};
const logOf = (db: string) => {
  const store = openStore({ url: db });
  try {
    return {
      events: store.db
        .prepare("SELECT position, type, stream_id AS streamId, stream_version AS v FROM events ORDER BY position")
        .all(),
      images: store.db
        .prepare("SELECT filename, status, final_score AS finalScore FROM generated_images ORDER BY id")
        .all(),
    };
  } finally {
    store.close();
  }
};

// Lines 1-9: good, good, malformed JSON, bad payload, blank, conflicting version, good, unknown type, good.
const MIXED = [
  generated("a.png"),
  curated("a.png", 8.5, { streamVersion: 2 }),
  `{"type": "ImageGenerated", "data": {`,
  curated("a.png", 11),
  "",
  curated("a.png", 6, { streamVersion: 2 }),
  generated("b.png", { id: "gen-b" }),
  line({ type: "ImageDeleted", data: { filename: "a.png" } }),
  curated("c.png", 5),
  generated("c.png"),
].join("\n");

describe("artist-store emit", () => {
  it.each([1, 3, 500])(
    "accepts the good lines and reports each bad one by line number (batch size %i)",
    (batchSize) => {
      const db = migrated();
      const file = join(tempDir(), "mixed.jsonl");
      writeFileSync(file, `${MIXED}\n`);
      const r = cli(["emit", file, "--db", db, "--json", "--batch-size", String(batchSize)]);
      expect(r.code).toBe(1);
      expect(json(r)).toEqual({
        lines: 10,
        accepted: 4,
        duplicates: 0,
        firstPosition: 1,
        lastPosition: 4,
        atomic: false,
        written: true,
        rejected: [
          { line: 3, code: "MALFORMED_JSON", message: expect.stringMatching(/^line 3: not valid JSON: /) },
          {
            line: 4,
            code: "INVALID_EVENT",
            message: "line 4 ImageCurated: data.finalScore: Too big: expected number to be <=10",
          },
          {
            line: 6,
            code: "VERSION_CONFLICT",
            message: "line 6: version conflict on stream image:a.png: expected version 1, actual version 2",
          },
          {
            line: 8,
            code: "UNKNOWN_EVENT_TYPE",
            message: expect.stringMatching(/^line 8: unknown event type "ImageDeleted"/),
          },
          {
            line: 9,
            code: "STREAM_NOT_FOUND",
            message: "line 9: ImageCurated for image:c.png, which was never started",
          },
        ],
      });
      expect(logOf(db)).toEqual({
        events: [
          { position: 1, type: "ImageGenerated", streamId: "image:a.png", v: 1 },
          { position: 2, type: "ImageCurated", streamId: "image:a.png", v: 2 },
          { position: 3, type: "ImageGenerated", streamId: "image:b.png", v: 1 },
          { position: 4, type: "ImageGenerated", streamId: "image:c.png", v: 1 },
        ],
        images: [
          { filename: "a.png", status: "curated", finalScore: 8.5 },
          { filename: "b.png", status: "pending", finalScore: null },
          { filename: "c.png", status: "pending", finalScore: null },
        ],
      });
    },
  );

  it("prints a human report, reads stdin, and treats a retried id as a duplicate", () => {
    const db = migrated();
    const first = cli(["emit", "--db", db], { input: MIXED });
    expect(first.stdout).toContain("accepted 4 event(s) at positions 1–4");
    expect(first.stdout).toContain("rejected 5 line(s):");
    expect(first.stdout).toMatch(/ {2}line 4 ImageCurated: data.finalScore: Too big.*\[INVALID_EVENT\]/);
    const retry = cli(["emit", "-", "--db", db, "--json"], { input: generated("b.png", { id: "gen-b" }) });
    expect(retry.code).toBe(0);
    expect(json(retry)).toMatchObject({ accepted: 1, duplicates: 1, rejected: [], firstPosition: null });
  });

  it("with --atomic writes nothing when any line is bad, and everything when all are good", () => {
    const db = migrated();
    const bad = cli(["emit", "--atomic", "--db", db, "--json"], { input: MIXED });
    expect(bad.code).toBe(1);
    expect(json(bad)).toMatchObject({ accepted: 0, written: false, rejected: [{ line: 3 }, { line: 4 }, { line: 8 }] });
    expect(logOf(db).events).toEqual([]);

    // Every invalid event is reported, not only the first the append meets, even when all lines are JSON.
    const invalid = cli(["emit", "--atomic", "--db", db, "--json"], {
      input: [generated("a.png"), curated("a.png", 11), line({ type: "ImageDeleted", data: {} })].join("\n"),
    });
    expect(json(invalid)).toMatchObject({
      accepted: 0,
      written: false,
      rejected: [
        { line: 2, code: "INVALID_EVENT" },
        { line: 3, code: "UNKNOWN_EVENT_TYPE" },
      ],
    });
    expect(logOf(db).events).toEqual([]);

    // Valid lines that fail inside the transaction (line 3 conflicts) roll the whole file back.
    const conflict = cli(["emit", "--atomic", "--db", db, "--json"], {
      input: [generated("a.png"), generated("b.png"), curated("a.png", 7, { streamVersion: 3 })].join("\n"),
    });
    expect(conflict.code).toBe(1);
    expect(json(conflict)).toMatchObject({ accepted: 0, rejected: [{ line: 3, code: "VERSION_CONFLICT" }] });
    expect(logOf(db).events).toEqual([]);

    const good = cli(["emit", "--atomic", "--db", db, "--json"], {
      input: [generated("a.png"), curated("a.png", 7, { streamVersion: 2 })].join("\n"),
    });
    expect(good.code).toBe(0);
    expect(json(good)).toMatchObject({ accepted: 2, rejected: [], written: true });
  });

  it("maps streamVersion to the version the event gets, and refuses it together with expectedVersion", () => {
    const db = migrated();
    const r = cli(["emit", "--db", db, "--json"], {
      input: [
        generated("a.png", { streamVersion: 1 }),
        curated("a.png", 7, { streamVersion: 2, expectedVersion: 1 }),
        curated("a.png", 7, { expectedVersion: 1 }),
        generated("a.png", { streamVersion: 1 }),
      ].join("\n"),
    });
    expect(json(r)).toMatchObject({
      accepted: 2,
      rejected: [
        { line: 2, message: "line 2: give streamVersion or expectedVersion, not both" },
        {
          line: 4,
          code: "VERSION_CONFLICT",
          message: "line 4: version conflict on stream image:a.png: expected version 0, actual version 2",
        },
      ],
    });
  });

  it("with --follow acknowledges each line once committed, while stdin stays open", async () => {
    const db = migrated();
    const child = cliProcess(["emit", "--follow", "--db", db]);
    const done = finished(child);
    const acks = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
    const send = async (text: string) => {
      child.stdin.write(`${text}\n`);
      const next = await acks.next();
      return JSON.parse(String(next.value)) as unknown;
    };
    expect(await send(generated("a.png"))).toEqual({
      line: 1,
      ok: true,
      position: 1,
      eventId: expect.any(String),
      streamId: "image:a.png",
      streamVersion: 1,
      duplicate: false,
    });
    // Acknowledged means committed: another connection sees it before the emitter exits.
    expect(logOf(db).events).toHaveLength(1);
    expect(await send("{not json")).toEqual({
      line: 2,
      ok: false,
      error: { code: "MALFORMED_JSON", message: expect.stringMatching(/^line 2: not valid JSON/) },
    });
    expect(await send(curated("zz.png", 5))).toMatchObject({ line: 3, ok: false, error: { code: "STREAM_NOT_FOUND" } });
    expect(await send(curated("a.png", 9.5, { streamVersion: 2 }))).toMatchObject({
      line: 4,
      ok: true,
      position: 2,
      streamVersion: 2,
    });
    expect(await send(curated("a.png", 11))).toEqual({
      line: 5,
      ok: false,
      error: {
        code: "INVALID_EVENT",
        message: "line 5 ImageCurated: data.finalScore: Too big: expected number to be <=10",
      },
    });
    child.stdin.end();
    const result = await done;
    expect(result.code).toBe(1);
    expect(logOf(db).images).toEqual([{ filename: "a.png", status: "curated", finalScore: 9.5 }]);
  });
});

describe("artist-store events", () => {
  it("reads the log as JSON lines filtered by stream, type, position and time", () => {
    const db = migrated();
    const at = (h: number) => `2026-01-0${h < 24 ? 8 : 9}T${String(h % 24).padStart(2, "0")}:00:00Z`;
    const input = [
      line({ type: "BatchStarted", occurredAt: at(9), data: { batchId: "b1", theme: "forests" } }),
      generated("a.png", { occurredAt: at(10) }),
      generated("b.png", { occurredAt: at(11) }),
      curated("a.png", 8, { occurredAt: at(12) }),
      curated("b.png", 4, { occurredAt: at(25) }),
    ].join("\n");
    expect(cli(["emit", "--db", db], { input }).code).toBe(0);
    const events = (...args: string[]) => {
      const r = cli(["events", "--db", db, ...args]);
      expect(r.code).toBe(0);
      return (jsonLines(r.stdout) as { position: number }[]).map((e) => e.position);
    };
    expect(events()).toEqual([1, 2, 3, 4, 5]);
    expect(events("--stream", "image:a.png")).toEqual([2, 4]);
    expect(events("--type", "ImageCurated")).toEqual([4, 5]);
    expect(events("--type", "BatchStarted,ImageCurated", "--type", "ImageGenerated", "--limit", "3")).toEqual([
      1, 2, 3,
    ]);
    expect(events("--from", "2", "--to", "4")).toEqual([2, 3, 4]);
    expect(events("--since", "2026-01-08T11:00:00Z", "--until", "2026-01-09")).toEqual([3, 4]);
    expect(events("--since", "2026-01-09")).toEqual([5]);
    const [first] = jsonLines(cli(["events", "--db", db, "--to", "1"]).stdout);
    expect(first).toEqual({
      position: 1,
      eventId: expect.any(String),
      streamId: "batch:b1",
      streamVersion: 1,
      type: "BatchStarted",
      schemaVersion: 1,
      data: { batchId: "b1", theme: "forests" },
      metadata: {},
      occurredAt: "2026-01-08T09:00:00.000Z",
      recordedAt: expect.any(String),
    });
  });
});
