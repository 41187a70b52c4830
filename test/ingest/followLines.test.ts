import { describe, expect, it, onTestFinished } from "vitest";
import { z } from "zod";
import { openConnection } from "../../src/db/connection.js";
import { followLines, type LineResult } from "../../src/ingest/emitLines.js";
import { createTestStore } from "../../src/testing/index.js";

const started = (batchId: string) => JSON.stringify({ type: "BatchStarted", data: { batchId } });
const finished = (batchId: string, imagesKept = 0) =>
  JSON.stringify({ type: "BatchFinished", data: { batchId, imagesCreated: 1, imagesKept } });

/** Lines that are all there at once, as when a producer writes faster than the follower commits. */
async function* burst(lines: readonly string[]) {
  yield* lines;
}

/** A store, a second connection that reads what is committed, and followLines recording what the reader saw at each ack. */
const follow = async (lines: readonly string[], ack: (r: LineResult) => unknown = () => undefined) => {
  const store = createTestStore();
  onTestFinished(store.close);
  const reader = openConnection(store.path, { readonly: true });
  onTestFinished(() => {
    reader.close();
  });
  const committed = reader.prepare("SELECT count(*) FROM events").pluck();
  const at = reader.prepare("SELECT event_id FROM events WHERE position = ?").pluck();
  const acks: { result: LineResult; committed: number; atPosition: unknown }[] = [];
  const counts = await followLines(store, burst(lines), (result) => {
    acks.push({
      result,
      committed: z.number().parse(committed.get()),
      atPosition: result.ok ? at.get(result.appended.position) : undefined,
    });
    return ack(result);
  });
  return { acks, counts };
};

describe("followLines (emit --follow)", () => {
  it("puts lines that arrive together into one transaction and acknowledges each, in order, once it is committed", async () => {
    const lines = Array.from({ length: 50 }, (_, i) => started(`b${i}`));
    const { acks, counts } = await follow(lines);
    expect(counts).toEqual({ accepted: 50, rejected: 0 });
    expect(acks.map((a) => a.result.line)).toEqual(lines.map((_, i) => i + 1));
    for (const a of acks) {
      if (!a.result.ok) throw new Error(`line ${a.result.line} refused: ${a.result.message}`);
      // A reader connection sees the event when its acknowledgement arrives.
      expect(a.atPosition).toBe(a.result.appended.eventId);
    }
    // One commit for the burst: at the first acknowledgement the last line is already visible.
    expect(acks[0]?.committed).toBe(50);
  });

  it("refuses a bad line in a group alone: its neighbours are committed with the group", async () => {
    const lines = [
      started("b1"),
      started("b2"),
      finished("b1", 5), // more kept than created: invalid whatever the log holds
      finished("never-started"), // refused by the log's state
      "{not json",
      finished("b2"),
      started("b1"), // b1 exists: refused by the log
      started("b3"),
    ];
    const { acks, counts } = await follow(lines);
    expect(counts).toEqual({ accepted: 4, rejected: 4 });
    expect(
      acks.map((a) => (a.result.ok ? [a.result.line, a.result.appended.streamId] : [a.result.line, a.result.code])),
    ).toEqual([
      [1, "batch:b1"],
      [2, "batch:b2"],
      [3, "INVALID_EVENT"],
      [4, "STREAM_NOT_FOUND"],
      [5, "MALFORMED_JSON"],
      [6, "batch:b2"],
      [7, "STREAM_EXISTS"],
      [8, "batch:b3"],
    ]);
    const refused = acks.flatMap((a) => (a.result.ok ? [] : [a.result.message]));
    expect(refused.map((m) => m.split(/[ :]/, 2).join(" "))).toEqual(["line 3", "line 4", "line 5", "line 7"]);
    expect(acks[0]?.committed).toBe(4);
    // Positions follow each other: the refused lines left no gap.
    expect(acks.flatMap((a) => (a.result.ok ? [a.result.appended.position] : []))).toEqual([1, 2, 3, 4]);
  });

  it("stops reading when an acknowledgement returns false, with the acknowledged lines committed", async () => {
    let taken = 0;
    const lines = Array.from({ length: 20 }, (_, i) => started(`b${i}`));
    const { acks, counts } = await follow(lines, () => ++taken < 3);
    expect(acks.map((a) => a.result.line)).toEqual([1, 2, 3]);
    expect(counts.accepted).toBe(3);
  });
});
