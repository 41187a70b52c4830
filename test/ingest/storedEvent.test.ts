import { describe, expect, it, onTestFinished } from "vitest";
import { StoreError } from "../../src/index.js";
import { checkLine, emitLines, followLines, type LineResult } from "../../src/ingest/emitLines.js";
import { createTestStore } from "../../src/testing/index.js";

/** A stored event as `events --nl` prints it. */
const stored = (fields: Record<string, unknown> = {}) => ({
  position: 41,
  eventId: "src-1",
  streamId: "image:a.png",
  streamVersion: 1,
  type: "ImageGenerated",
  schemaVersion: 1,
  data: { filename: "a.png", prompt: "p", modelId: "m" },
  metadata: { producer: "elsewhere" },
  occurredAt: "2026-01-08T12:00:00.000Z",
  recordedAt: "2026-02-01T00:00:00.000Z",
  ...fields,
});
const curatedV1 = (fields: Record<string, unknown> = {}) =>
  stored({
    eventId: "src-2",
    streamVersion: 2,
    type: "ImageCurated",
    data: { filename: "a.png", status: "curated", finalScore: 8 },
    ...fields,
  });
async function* linesOf(values: readonly unknown[]) {
  for (const v of values) yield typeof v === "string" ? v : JSON.stringify(v);
}
const clock = () => new Date("2026-01-08T12:00:00.000Z");

describe("a stored event as a line", () => {
  it("keeps eventId as the id, streamVersion - 1 as the expected version and occurredAt; ignores position and recordedAt", () => {
    const r = checkLine(JSON.stringify(stored({ hash: "ab" })), 3, clock);
    expect(r).toEqual({
      line: 3,
      ok: true,
      envelope: {
        type: "ImageGenerated",
        data: { filename: "a.png", prompt: "p", modelId: "m" },
        metadata: { producer: "elsewhere" },
        occurredAt: "2026-01-08T12:00:00.000Z",
        id: "src-1",
        expectedVersion: 0,
      },
    });
  });

  it.each([
    [{ streamId: "image:b.png" }, 'streamId "image:b.png" is not the stream its data names ("image:a.png")'],
    [{ streamId: "batch:a.png" }, 'streamId "batch:a.png" is not the stream its data names ("image:a.png")'],
    [{ schemaVersion: 2 }, "schemaVersion 2 of ImageGenerated is newer than this store knows (1)"],
    [{ schemaVersion: 0 }, "schemaVersion: expected an integer >= 1"],
    [{ streamVersion: "1" }, "streamVersion: expected an integer >= 1 (the version the event has in its stream)"],
    [{ eventId: 7 }, "eventId: expected a string (the event's id in the store it came from)"],
    [
      { id: "x" },
      "id: a stored event (it has eventId, streamId, schemaVersion, position, recordedAt) gives eventId instead",
    ],
  ])("refuses %j by line number: %s", (fields, reason) => {
    expect(checkLine(JSON.stringify(stored(fields)), 5, clock)).toEqual({
      ok: false,
      line: 5,
      code: "INVALID_EVENT",
      message: `line 5: ${reason}`,
    });
  });

  it("refuses a missing schemaVersion only by name, and leaves the payload to the append's checks", () => {
    const { schemaVersion: _s, ...noVersion } = stored();
    expect(checkLine(JSON.stringify(noVersion), 1, clock)).toMatchObject({
      message: "line 1: schemaVersion: expected an integer >= 1",
    });
    expect(checkLine(JSON.stringify(stored({ data: { filename: "a.png" } })), 1, clock)).toMatchObject({
      ok: false,
      code: "INVALID_EVENT",
      message: expect.stringMatching(/^line 1 ImageGenerated: data.prompt: /),
    });
  });

  it("upcasts an older schema version as reading it from the log would, and a re-import is a duplicate", async () => {
    const store = createTestStore();
    onTestFinished(store.close);
    const input = [stored(), curatedV1()];
    const first = await emitLines(store, linesOf(input));
    expect(first).toMatchObject({ accepted: 2, duplicates: 0, rejected: [] });
    const [, curation] = store.readStream("image:a.png");
    expect(curation).toMatchObject({
      eventId: "src-2",
      streamVersion: 2,
      schemaVersion: 2,
      data: { filename: "a.png", status: "curated", finalScore: 8, diversityScore: null },
      occurredAt: "2026-01-08T12:00:00.000Z",
    });
    // What the store printed (v2 data, with its diversityScore) and what an older store printed (v1) are both duplicates.
    const again = await emitLines(
      store,
      linesOf([stored(), curatedV1(), curatedV1({ schemaVersion: 2, data: curation?.data })]),
    );
    expect(again).toMatchObject({ accepted: 3, duplicates: 3, rejected: [] });
  });

  it("is taken by followLines too, and a changed event under a known eventId is an idempotency conflict", async () => {
    const store = createTestStore();
    onTestFinished(store.close);
    const acks: LineResult[] = [];
    await followLines(
      store,
      linesOf([stored(), stored({ data: { filename: "a.png", prompt: "other", modelId: "m" } })]),
      (r) => acks.push(r),
    );
    expect(acks).toMatchObject([
      { line: 1, ok: true, appended: { eventId: "src-1", streamVersion: 1, duplicate: false } },
      { line: 2, ok: false, code: "IDEMPOTENCY_CONFLICT" },
    ]);
  });

  it("stops at a first line that is a JSON array (`events --json`), having written nothing", async () => {
    const store = createTestStore();
    onTestFinished(store.close);
    for (const input of [["[", "  {", "  }", "]"], [JSON.stringify([stored()])]]) {
      const error = await emitLines(store, linesOf(input)).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(StoreError);
      expect(error).toMatchObject({ code: "INVALID_ARGUMENT", details: { line: 1 } });
      expect((error as Error).message).toMatch(/^line 1: a JSON array, as `events --json` prints: /);
      await expect(followLines(store, linesOf(input), () => true)).rejects.toThrow(/JSON array/);
    }
    expect(store.rows("events")).toEqual([]);
    // Later in the input, an array is one more bad line.
    expect(await emitLines(store, linesOf([stored(), "[1]"]))).toMatchObject({
      accepted: 1,
      rejected: [{ line: 2, message: expect.stringMatching(/^line 2: a JSON array/) }],
    });
  });
});
