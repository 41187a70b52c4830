import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { openStore } from "../../src/index.js";
import { createMigratedDatabase } from "../../src/replay/scratch.js";
import { cli, jsonLines } from "../cli/run.js";
import { tempDir } from "../support.js";

/**
 * The JSON-lines protocol of `artist-store emit` as pipelines feed it: bytes, through a
 * file, through stdin, and through `--follow`. Each bad line is refused with its number
 * and reason; the good lines around it are written.
 */

const Report = z.object({
  accepted: z.number(),
  rejected: z.array(z.object({ line: z.number(), code: z.string(), message: z.string() })),
});
const Ack = z.union([
  z.object({ line: z.number(), ok: z.literal(true), streamId: z.string() }),
  z.object({ line: z.number(), ok: z.literal(false), error: z.object({ code: z.string(), message: z.string() }) }),
]);

const text = (value: unknown) => Buffer.from(JSON.stringify(value));
const started = (batchId: string) => text({ type: "BatchStarted", data: { batchId } });
const generated = (filename: string) => text({ type: "ImageGenerated", data: { filename, prompt: "p", modelId: "m" } });
/** An ImageGenerated line whose filename is given as raw bytes (which need not be UTF-8). */
const generatedRaw = (filename: Buffer) =>
  Buffer.concat([
    Buffer.from('{"type":"ImageGenerated","data":{"filename":"'),
    filename,
    Buffer.from('","prompt":"p","modelId":"m"}}'),
  ]);
const joinLines = (lines: readonly Buffer[]) => Buffer.concat(lines.flatMap((l) => [l, Buffer.from("\n")]));

const migrated = () => {
  const path = join(tempDir(), "store.db");
  createMigratedDatabase(path);
  return path;
};
const streamsOf = (db: string): string[] => {
  const store = openStore({ url: db });
  try {
    return store.db.prepare("SELECT DISTINCT stream_id FROM events ORDER BY position").pluck().all() as string[];
  } finally {
    store.close();
  }
};

interface Outcome {
  accepted: number;
  rejected: { line: number; code: string; message: string }[];
  streams: string[];
}

/** Feed the same bytes to `emit FILE`, `emit` from stdin and `emit --follow`, each into a fresh store. */
const everyWay = (input: Buffer): Record<"file" | "stdin" | "follow", Outcome> => {
  const viaReport = (args: string[], stdin: Buffer | string) => {
    const db = migrated();
    const r = cli(["emit", ...args, "--db", db, "--json"], { input: stdin });
    expect(r.stderr).toBe("");
    const report = Report.parse(JSON.parse(r.stdout));
    return { accepted: report.accepted, rejected: report.rejected, streams: streamsOf(db) };
  };
  const file = join(tempDir(), "lines.jsonl");
  writeFileSync(file, input);
  const db = migrated();
  const r = cli(["emit", "--follow", "--db", db], { input });
  expect(r.stderr).toBe("");
  const acks = jsonLines(r.stdout).map((a) => Ack.parse(a));
  return {
    file: viaReport([file], ""),
    stdin: viaReport([], input),
    follow: {
      accepted: acks.filter((a) => a.ok).length,
      rejected: acks.flatMap((a) => (a.ok ? [] : [{ line: a.line, ...a.error }])),
      streams: streamsOf(db),
    },
  };
};

describe("emit reads bytes, not text: invalid UTF-8", () => {
  it("refuses x\\xff.png and x\\xfe.png with their line numbers instead of storing both as x\\uFFFD.png", () => {
    const input = joinLines([
      generated("a.png"),
      generatedRaw(Buffer.from([0x78, 0xff, 0x2e, 0x70, 0x6e, 0x67])),
      generatedRaw(Buffer.from([0x78, 0xfe, 0x2e, 0x70, 0x6e, 0x67])),
      generated("é.png"),
    ]);
    for (const [way, outcome] of Object.entries(everyWay(input))) {
      expect(outcome, way).toEqual({
        accepted: 2,
        rejected: [
          {
            line: 2,
            code: "MALFORMED_JSON",
            message: "line 2: not valid UTF-8: byte 0xff at byte 47 of the line",
          },
          {
            line: 3,
            code: "MALFORMED_JSON",
            message: "line 3: not valid UTF-8: byte 0xfe at byte 47 of the line",
          },
        ],
        streams: ["image:a.png", "image:é.png"],
      });
    }
  });

  it.each([
    { name: "a lead byte cut off by the end of the line", bytes: [0x78, 0xc3] },
    { name: "an overlong encoding of '/'", bytes: [0xc0, 0xaf] },
    { name: "a UTF-16 surrogate encoded as UTF-8", bytes: [0xed, 0xa0, 0x80] },
    { name: "a code point above U+10FFFF", bytes: [0xf4, 0x90, 0x80, 0x80] },
    { name: "a lone continuation byte", bytes: [0x80] },
  ])("refuses $name", ({ bytes }) => {
    const input = joinLines([generated("a.png"), generatedRaw(Buffer.from(bytes)), generated("b.png")]);
    for (const [way, outcome] of Object.entries(everyWay(input))) {
      expect(outcome.accepted, way).toBe(2);
      expect(outcome.rejected, way).toEqual([
        { line: 2, code: "MALFORMED_JSON", message: expect.stringMatching(/^line 2: not valid UTF-8: byte 0x/) },
      ]);
    }
  });
});

describe("emit: a byte order mark", () => {
  it("is skipped at the very start of the input and refused, by name, at the start of any other line", () => {
    const bom = Buffer.from([0xef, 0xbb, 0xbf]);
    const input = joinLines([Buffer.concat([bom, started("b1")]), started("b2"), Buffer.concat([bom, started("b3")])]);
    for (const [way, outcome] of Object.entries(everyWay(input))) {
      expect(outcome, way).toEqual({
        accepted: 2,
        rejected: [
          {
            line: 3,
            code: "MALFORMED_JSON",
            message: "line 3: starts with a byte order mark (U+FEFF), which only the first line of the input may",
          },
        ],
        streams: ["batch:b1", "batch:b2"],
      });
    }
  });

  it("names an invisible character inside a line by its code point", () => {
    const input = joinLines([Buffer.from('{"type":"BatchStarted",\u00a0"data":{"batchId":"b1"}}')]);
    const { file } = everyWay(input);
    expect(file.rejected).toEqual([
      { line: 1, code: "MALFORMED_JSON", message: expect.stringMatching(/^line 1: not valid JSON: .*\(U\+00A0\)/) },
    ]);
  });
});

describe("emit: duplicate keys", () => {
  it.each([
    {
      name: "in data",
      line: '{"type":"BatchStarted","data":{"batchId":"b1","batchId":"b2"}}',
      message: 'line 1: key "batchId" appears twice in data',
    },
    {
      name: "in the envelope",
      line: '{"type":"BatchStarted","type":"BatchFinished","data":{"batchId":"b1"}}',
      message: 'line 1: key "type" appears twice in the event',
    },
    {
      name: "spelled once with an escape",
      line: '{"type":"BatchStarted","data":{"batchId":"b1","\\u0062atchId":"b2"}}',
      message: 'line 1: key "batchId" appears twice in data',
    },
    {
      name: "deep in metadata",
      line: '{"type":"BatchStarted","data":{"batchId":"b1"},"metadata":{"trace":[{"a":1},{"a":1,"b":2,"a":3}]}}',
      message: 'line 1: key "a" appears twice in metadata.trace.1',
    },
  ])("are refused $name, naming the key and where", ({ line, message }) => {
    const outcome = everyWay(joinLines([Buffer.from(line), started("after")]));
    for (const [way, o] of Object.entries(outcome)) {
      expect(o, way).toEqual({
        accepted: 1,
        rejected: [{ line: 1, code: "MALFORMED_JSON", message }],
        streams: ["batch:after"],
      });
    }
  });
});

describe("emit: deep nesting", () => {
  const deep = (levels: number) =>
    Buffer.from(
      `{"type":"ImageGenerated","data":{"filename":"deep.png","prompt":"p","modelId":"m","generationParams":` +
        `${'{"a":'.repeat(levels)}1${"}".repeat(levels)}}}`,
    );

  it("refuses a payload 1,500 levels deep at line 501 and writes the 999 good lines around it", () => {
    const lines = Array.from({ length: 1000 }, (_, i) => (i === 500 ? deep(1500) : started(`b${i + 1}`)));
    const db = migrated();
    const r = cli(["emit", "--db", db, "--json"], { input: joinLines(lines) });
    expect(r.code).toBe(1);
    const report = Report.parse(JSON.parse(r.stdout));
    expect(report.accepted).toBe(999);
    expect(report.rejected).toEqual([
      {
        line: 501,
        code: "INVALID_EVENT",
        message: expect.stringMatching(
          /^line 501 ImageGenerated: data\.generationParams\.a\.a[.a]*…: nested more than 64 levels deep/,
        ),
      },
    ]);
    expect(streamsOf(db)).toHaveLength(999);
  });

  it("refuses 10,000 levels as bad input in every mode (never a stack overflow, never INTERNAL)", () => {
    const outcome = everyWay(joinLines([started("b1"), deep(10_000), started("b2")]));
    for (const [way, o] of Object.entries(outcome)) {
      expect(o, way).toEqual({
        accepted: 2,
        rejected: [
          { line: 2, code: "INVALID_EVENT", message: expect.stringMatching(/^line 2 ImageGenerated: .*nested more/) },
        ],
        streams: ["batch:b1", "batch:b2"],
      });
    }
  });
});

describe("emit: numbers JavaScript cannot hold exactly", () => {
  it("refuses an integer literal beyond 2^53 - 1, naming its path", () => {
    const line = Buffer.from(
      '{"type":"ImageGenerated","data":{"filename":"big.png","prompt":"p","modelId":"m","generationParams":{"seed":12345678901234567890}}}',
    );
    for (const [way, o] of Object.entries(everyWay(joinLines([line])))) {
      expect(o.rejected, way).toEqual([
        {
          line: 1,
          code: "INVALID_EVENT",
          message: expect.stringMatching(
            /^line 1 ImageGenerated: data\.generationParams\.seed: 12345678901234567000 is an/,
          ),
        },
      ]);
    }
  });
});

describe("emit: the event rules hold for lines as for the library", () => {
  it("refuses each in emit FILE, emit from stdin and emit --follow alike, writing the good line", () => {
    const cases = [
      {
        line: { ...JSON.parse(String(started("t"))), occurredAt: "9999-12-31T23:30:00-01:00" },
        message: /occurredAt: .* outside the years 0001 to 9999/,
      },
      {
        line: { ...JSON.parse(String(started("t"))), occurredAt: "2026-01-08T24:00:00Z" },
        message: /occurredAt: expected an ISO-8601 time/,
      },
      {
        line: { ...JSON.parse(String(started("t"))), occurredAt: "2026-01-08T24:00:00.000Z" },
        message: /occurredAt: expected an ISO-8601 time/,
      },
      { line: JSON.parse(String(generated("trim.png "))), message: /data\.filename: starts or ends with whitespace/ },
      {
        line: JSON.parse(String(generated("cafe\u0301.png"))),
        message: /data\.filename: not in Unicode normalization form NFC/,
      },
      {
        line: { type: "TrainingStarted", data: { runId: "\tr", name: "n", modelPath: "m" } },
        message: /data\.runId: starts or ends/,
      },
    ].map((c) => ({ ...c, bytes: text(c.line) }));
    const proto = [
      {
        bytes: Buffer.from('{"type":"BatchStarted","data":{"batchId":"p"},"__proto__":{"x":1}}'),
        message: /^line \d+ BatchStarted: __proto__: a key named/,
      },
      {
        bytes: Buffer.from('{"type":"BatchStarted","data":{"batchId":"p"},"metadata":{"__proto__":{}}}'),
        message: /metadata\.__proto__: a key named/,
      },
    ];
    const all = [...cases, ...proto];
    const outcome = everyWay(joinLines([...all.map((c) => c.bytes), started("good")]));
    for (const [way, o] of Object.entries(outcome)) {
      expect(o.accepted, way).toBe(1);
      expect(o.streams, way).toEqual(["batch:good"]);
      expect(
        o.rejected.map((r) => r.line),
        way,
      ).toEqual(all.map((_, i) => i + 1));
      all.forEach((c, i) => {
        expect(o.rejected[i]?.code, `${way} line ${i + 1}`).toBe("INVALID_EVENT");
        expect(o.rejected[i]?.message, `${way} line ${i + 1}`).toMatch(c.message);
      });
    }
  });
});
