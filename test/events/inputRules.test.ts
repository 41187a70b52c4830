import fc from "fast-check";
import { describe, expect, it, onTestFinished } from "vitest";
import { StoreError } from "../../src/index.js";
import { createTestStore, snapshot } from "../../src/testing/index.js";
import { expectStoreError } from "../support.js";

/**
 * What the store refuses and what it keeps exactly (docs/events.md, "What the store
 * refuses"), at the edges: the last value accepted and the first refused.
 */

const image = (filename: string, extra: Record<string, unknown> = {}) => ({
  type: "ImageGenerated" as const,
  data: { filename, prompt: "p", modelId: "m", ...extra },
});
/** `levels` objects nested inside each other, the innermost holding 1. */
const nested = (levels: number): Record<string, unknown> => {
  let value: Record<string, unknown> = { leaf: 1 };
  for (let i = 1; i < levels; i++) value = { a: value };
  return value;
};

describe("nesting depth", () => {
  it("accepts data 64 levels deep (data itself the first) and refuses 65, naming the path", () => {
    const store = createTestStore();
    onTestFinished(store.close);
    // data (level 1) > generationParams and 62 more objects (levels 2 to 64).
    store.appendUnknown([image("ok.png", { generationParams: nested(63) })]);
    expect(store.readStream("image:ok.png")[0]?.data).toMatchObject({ generationParams: nested(63) });
    const before = snapshot(store);
    expectStoreError(
      () => store.appendUnknown([image("deep.png", { generationParams: nested(64) })]),
      "INVALID_EVENT",
      /^event 0 ImageGenerated: data\.generationParams\.a\.a\.a\.a\.a\.a…: nested more than 64 levels deep \(the limit for data and metadata\)$/,
    );
    expect(snapshot(store)).toEqual(before);
  });

  it("counts metadata the same way", () => {
    const store = createTestStore();
    onTestFinished(store.close);
    store.appendUnknown([{ ...image("ok.png"), metadata: { trace: nested(63) } }]);
    expectStoreError(
      () => store.appendUnknown([{ ...image("deep.png"), metadata: { trace: nested(64) } }]),
      "INVALID_EVENT",
      /metadata\.trace\.a.*: nested more than 64 levels deep/,
    );
  });

  it("refuses 100,000 levels with a StoreError, never a RangeError", () => {
    const store = createTestStore();
    onTestFinished(store.close);
    let caught: unknown;
    try {
      store.appendUnknown([image("deep.png", { generationParams: nested(100_000) })]);
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(StoreError);
    expect(caught).toMatchObject({ code: "INVALID_EVENT" });
  });
});

describe("integers JavaScript cannot hold exactly", () => {
  it("keeps ±(2^53 - 1) exactly and refuses one more, from typed code as from JSON", () => {
    const store = createTestStore();
    onTestFinished(store.close);
    const edge = { max: Number.MAX_SAFE_INTEGER, min: Number.MIN_SAFE_INTEGER, fraction: 0.1, big: 1.5e15 };
    store.emit.imageGenerated({ filename: "ok.png", prompt: "p", modelId: "m", generationParams: edge });
    expect(store.readStream("image:ok.png")[0]?.data).toMatchObject({ generationParams: edge });
    expectStoreError(
      () =>
        store.emit.imageGenerated({ filename: "x.png", prompt: "p", modelId: "m", generationParams: { n: 2 ** 53 } }),
      "INVALID_EVENT",
      /^event 0 ImageGenerated: data\.generationParams\.n: 9007199254740992 is an integer beyond ±\(2\^53-1\), which JavaScript cannot hold exactly: send it as a string$/,
    );
    expectStoreError(
      () =>
        store.appendUnknown([JSON.parse('{"type":"BatchStarted","data":{"batchId":"b"},"metadata":{"id":-1e300}}')]),
      "INVALID_EVENT",
      /metadata\.id: -1e\+300 is an integer beyond/,
    );
  });
});

describe("__proto__ keys", () => {
  it("are refused wherever they appear; the words constructor and prototype are kept as keys, and __proto__ as a value", () => {
    const store = createTestStore();
    onTestFinished(store.close);
    const kept = { constructor: 1, prototype: { toString: 2 }, note: "__proto__" };
    store.appendUnknown([{ ...image("ok.png", { generationParams: kept }), metadata: { kept } }]);
    const [event] = store.readStream("image:ok.png");
    expect(event?.data).toMatchObject({ generationParams: kept });
    expect(event?.metadata).toEqual({ kept });
    for (const [line, path] of [
      ['{"type":"BatchStarted","data":{"batchId":"b"},"metadata":{"__proto__":{"x":1}}}', "metadata.__proto__"],
      [
        '{"type":"BatchStarted","data":{"batchId":"b"},"metadata":{"list":[{"__proto__":1}]}}',
        "metadata.list.0.__proto__",
      ],
      ['{"type":"BatchStarted","__proto__":null,"data":{"batchId":"b"}}', "__proto__"],
    ] as const)
      expectStoreError(
        () => store.appendUnknown([JSON.parse(line)]),
        "INVALID_EVENT",
        new RegExp(`^event 0 BatchStarted: ${path.replaceAll(".", "\\.")}: a key named "__proto__" is refused`),
      );
  });
});

describe("identifiers (filename, runId, batchId)", () => {
  it("are kept exactly: inner spaces and non-ASCII NFC text stay as written", () => {
    const store = createTestStore();
    onTestFinished(store.close);
    store.append([
      image("my sunset (1).png"),
      image("café.png"),
      { type: "BatchStarted", data: { batchId: "batch 7" } },
      { type: "TrainingStarted", data: { runId: "ラン", name: " spaces are fine in names ", modelPath: "m" } },
    ]);
    expect(store.readAll().events.map((e) => e.streamId)).toEqual([
      "image:my sunset (1).png",
      "image:café.png",
      "batch:batch 7",
      "training:ラン",
    ]);
  });

  it("refuses the NFD spelling of a filename, so one image cannot become two", () => {
    const store = createTestStore();
    onTestFinished(store.close);
    const nfc = "caf\u00e9.png";
    const nfd = "cafe\u0301.png";
    store.append([image(nfc)]);
    expectStoreError(
      () => store.append([image(nfd)]),
      "INVALID_EVENT",
      /^event 0 ImageGenerated: data\.filename: not in Unicode normalization form NFC/,
    );
    expectStoreError(
      () => store.append([{ type: "ImageCurated", data: { filename: nfd, status: "curated" } }]),
      "INVALID_EVENT",
      /data\.filename: not in Unicode normalization form NFC/,
    );
    expect(store.readAll().events.map((e) => e.streamId)).toEqual([`image:${nfc}`]);
  });

  it.each([" ", "\t", "\n", "\u00a0", "\u2028", "\u3000", "\ufeff"])(
    "refuses %j at either end instead of trimming it",
    (blank) => {
      const store = createTestStore();
      onTestFinished(store.close);
      store.append([image("trim.png")]);
      for (const filename of [`trim.png${blank}`, `${blank}trim.png`])
        expectStoreError(
          () => store.append([image(filename)]),
          "INVALID_EVENT",
          /data\.filename: starts or ends with whitespace/,
        );
      expect(store.readAll().events).toHaveLength(1);
    },
  );
});

describe("times", () => {
  const at = (occurredAt: string, batchId = "b") => ({ type: "BatchStarted" as const, data: { batchId }, occurredAt });

  it("accepts the first and last millisecond of years 0001 to 9999 in UTC, and the daily query reads them", () => {
    const store = createTestStore();
    onTestFinished(store.close);
    store.append([
      at("0001-01-01T00:00:00Z", "first"),
      at("0001-01-01T01:00:00+01:00", "first-in-paris"),
      at("9999-12-31T23:59:59.999Z", "last"),
      at("9999-12-31T22:59:59.999-01:00", "last-in-the-azores"),
    ]);
    expect(store.readAll().events.map((e) => e.occurredAt)).toEqual([
      "0001-01-01T00:00:00.000Z",
      "0001-01-01T00:00:00.000Z",
      "9999-12-31T23:59:59.999Z",
      "9999-12-31T23:59:59.999Z",
    ]);
    expect(store.queries.dailyCreationStatistics().map((d) => d.date)).toEqual(["9999-12-31", "0001-01-01"]);
  });

  it.each([
    "9999-12-31T23:30:00-01:00",
    "10000-01-01T00:00:00Z",
    "+010000-01-01T00:00:00.000Z",
    "0000-12-31T23:59:59.999Z",
    "0001-01-01T00:59:59.999+01:00",
    "-000001-01-01T00:00:00.000Z",
    "2026-01-08T24:00:00Z",
    "2026-01-08T24:00:00.000Z",
    "2026-01-08T24:00Z",
    "2026-01-08T12:00:00+24:00",
    "2026-01-08T12:60:00Z",
  ])("refuses %s, writing nothing", (occurredAt) => {
    const store = createTestStore();
    onTestFinished(store.close);
    expectStoreError(() => store.append([at(occurredAt)]), "INVALID_EVENT", /^event 0: occurredAt: /);
    expect(store.readAll().events).toEqual([]);
  });

  it("stores every accepted time as the 24-character UTC form, which sorts as the instants do", () => {
    const store = createTestStore();
    onTestFinished(store.close);
    const min = Date.parse("0001-01-01T00:00:00.000Z");
    const max = Date.parse("9999-12-31T23:59:59.999Z");
    const offset = fc.integer({ min: -(23 * 60 + 59), max: 23 * 60 + 59 });
    const written = (ms: number, minutes: number) => {
      const local = new Date(ms + minutes * 60_000).toISOString().slice(0, 23);
      const sign = minutes < 0 ? "-" : "+";
      const abs = Math.abs(minutes);
      return `${local}${sign}${String(Math.floor(abs / 60)).padStart(2, "0")}:${String(abs % 60).padStart(2, "0")}`;
    };
    let n = 0;
    fc.assert(
      fc.property(fc.integer({ min, max }), offset, (ms, minutes) => {
        const text = written(ms, minutes);
        const localYear = Number(text.slice(0, 4));
        if (text.startsWith("+") || text.startsWith("-") || localYear < 1) return; // not writable in four digits
        const [appended] = store.append([at(text, `p${n++}`)]);
        const [event] = store.readStream(appended?.streamId ?? "");
        expect(event?.occurredAt).toBe(new Date(ms).toISOString());
        expect(event?.occurredAt).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
      }),
      { numRuns: 300 },
    );
    const stored = store.db.prepare("SELECT occurred_at FROM events ORDER BY occurred_at").pluck().all() as string[];
    const byInstant = [...stored].sort((a, b) => Date.parse(a) - Date.parse(b));
    expect(stored).toEqual(byInstant);
  });

  it("keeps a time to the millisecond: further digits are cut, never rounded into the next second or day", () => {
    const store = createTestStore();
    onTestFinished(store.close);
    store.append([at("2026-01-08T23:59:59.9999999Z")]);
    expect(store.readAll().events[0]?.occurredAt).toBe("2026-01-08T23:59:59.999Z");
  });
});

describe("anything thrown while validating", () => {
  it("reaches the caller as INVALID_EVENT, never as the TypeError or RangeError itself", () => {
    const store = createTestStore();
    onTestFinished(store.close);
    const hostile = {
      get type(): string {
        throw new TypeError("no type for you");
      },
      data: {},
    };
    expectStoreError(
      () => store.appendUnknown([hostile]),
      "INVALID_EVENT",
      /^event 0: could not be validated: no type for you$/,
    );
    const proxy = new Proxy(
      { type: "BatchStarted", data: { batchId: "b" } },
      {
        ownKeys: () => {
          throw new RangeError("keys exhausted");
        },
      },
    );
    expectStoreError(() => store.appendUnknown([proxy]), "INVALID_EVENT", /could not be validated: keys exhausted/);
    expect(store.readAll().events).toEqual([]);
  });
});
