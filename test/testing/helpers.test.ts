import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { expectRows, given, readJsonl, replayEvents } from "../../src/testing/index.js";
import { batchFinished, batchStarted, curated, generated } from "../fixtures.js";
import { tempDir } from "../support.js";

const fixture = (lines: string[]) => {
  const file = join(tempDir(), "day.jsonl");
  writeFileSync(file, lines.join("\n"));
  return file;
};

describe("replayEvents and expectRows", () => {
  it("replays a JSONL fixture into a fresh store and checks only the columns named", () => {
    const file = fixture([
      '{"type":"BatchStarted","occurredAt":"2026-01-08T09:00:00Z","data":{"batchId":"b1","theme":"landscapes"}}',
      "",
      "// a comment line",
      '{"type":"BatchFinished","occurredAt":"2026-01-08T09:15:00Z","data":{"batchId":"b1","imagesCreated":5,"imagesKept":2,"avgScore":6.8}}',
    ]);
    const store = replayEvents(file);
    expectRows(store, {
      creation_sessions: [{ batch_id: "b1", images_kept: 2, completed_at: "2026-01-08T09:15:00.000Z" }],
    });
    expect(() => expectRows(store, { creation_sessions: [{ batch_id: "b1", images_kept: 3 }] })).toThrow(
      /rows of creation_sessions/,
    );
    expect(() => expectRows(store, { creation_sessions: [] })).toThrow(/rows of creation_sessions/);
    store.close();
  });

  it("names the fixture's line when an event in it is refused or is not JSON", () => {
    const file = fixture([
      '{"type":"BatchStarted","data":{"batchId":"b1"}}',
      "",
      '{"type":"BatchFinished","data":{"batchId":"b1","imagesCreated":1,"imagesKept":2}}',
    ]);
    expect(() => replayEvents(file)).toThrow(
      /day\.jsonl line 3: event 1 BatchFinished: data\.imagesKept: imagesKept cannot exceed imagesCreated/,
    );
    expect(() =>
      replayEvents(fixture(['{"type":"BatchFinished","data":{"batchId":"b9","imagesCreated":1,"imagesKept":0}}'])),
    ).toThrow(/day\.jsonl line 1: event 0: BatchFinished for batch:b9, which was never started/);
    expect(() => readJsonl(fixture(["{}", "{not json"]))).toThrow(/day\.jsonl line 2: not valid JSON/);
  });

  it("reads a fixture as emit reads its input: UTF-8 checked, duplicate keys refused, a leading BOM skipped", () => {
    const file = join(tempDir(), "bytes.jsonl");
    const line = (batchId: string) => Buffer.from(JSON.stringify({ type: "BatchStarted", data: { batchId } }));
    const nl = Buffer.from("\n");
    writeFileSync(file, Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), line("b1"), nl, line("b\xff"), nl]));
    expect(readJsonl(file).map((l) => l.line)).toEqual([1, 2]);
    writeFileSync(
      file,
      Buffer.concat([
        line("b1"),
        nl,
        Buffer.from('{"type":"BatchStarted","data":{"batchId":"'),
        Buffer.from([0xff]),
        Buffer.from('"}}'),
      ]),
    );
    expect(() => readJsonl(file)).toThrow(/bytes\.jsonl line 2: not valid UTF-8: byte 0xff at byte 43 of the line/);
    writeFileSync(file, '{"type":"BatchStarted","data":{"batchId":"b1"},"data":{"batchId":"b2"}}\n');
    expect(() => readJsonl(file)).toThrow(/bytes\.jsonl line 1: key "data" appears twice in the event/);
  });
});

describe("given / when / then", () => {
  it("checks the rows a handler leaves, and audits the store against a replay of its log", () => {
    given([generated("a.png", "2026-01-08T12:00:00Z")])
      .when(curated("a.png", "2026-01-08T12:05:00Z", { finalScore: 8.2, isFeatured: true }))
      .then({
        generated_images: [
          {
            filename: "a.png",
            status: "curated",
            final_score: 8.2,
            is_featured: 1,
            updated_at: "2026-01-08T12:05:00.000Z",
          },
        ],
      });
  });

  it("checks that a refused event fails with its code and writes nothing", () => {
    given([])
      .when(curated("ghost.png", "2026-01-08T12:05:00Z"))
      .then({ error: "STREAM_NOT_FOUND", message: /image:ghost\.png, which was never started/ });
  });

  it("fails when the rows or the error are not the expected ones", () => {
    expect(() =>
      given([])
        .when(batchStarted("b1", "2026-01-08T09:00:00Z"))
        .then({ creation_sessions: [{ batch_id: "b2" }] }),
    ).toThrow(/rows of creation_sessions/);
    expect(() => given([]).when(batchStarted("b1", "2026-01-08T09:00:00Z")).then({ error: "STREAM_EXISTS" })).toThrow(
      /expected the append to fail with STREAM_EXISTS/,
    );
    expect(() =>
      given([batchStarted("b1", "2026-01-08T09:00:00Z")])
        .when(batchFinished("b2", "2026-01-08T09:10:00Z"))
        .then({ error: "STREAM_CLOSED" }),
    ).toThrow(/error code/);
  });
});
