import { describe, expect, it } from "vitest";
import { createLogReader } from "../../src/events/readEvents.js";
import { auditProjections, projectionDigests, rebuildProjections } from "../../src/operations.js";
import { createReplayer, REPLAY_PAGE_SIZE } from "../../src/replay/replay.js";
import { createScratch } from "../../src/replay/scratch.js";
import { createTestStore } from "../../src/testing/index.js";
import { expectStoreError, insertChained } from "../support.js";
import { pipelineDays } from "./support.js";

const forge = (columns: string) =>
  `INSERT INTO events (event_id, stream_id, stream_version, type, schema_version, data, metadata, occurred_at, recorded_at) VALUES (${columns})`;

describe("createReplayer", () => {
  it("applies a stream a transaction of REPLAY_PAGE_SIZE events at a time, then catches up from where it stopped", () => {
    const store = createTestStore();
    store.append(pipelineDays(8));
    const head = store.headPosition();
    expect(head).toBeGreaterThan(2 * REPLAY_PAGE_SIZE);
    const scratch = createScratch();
    const replayer = createReplayer(scratch.db);
    const reported: number[] = [];
    replayer.replay(store.iterateAll({ to: 2 * REPLAY_PAGE_SIZE }), (done) => reported.push(done));
    expect(reported).toEqual([REPLAY_PAGE_SIZE, 2 * REPLAY_PAGE_SIZE]);
    expect(replayer.position).toBe(2 * REPLAY_PAGE_SIZE);
    replayer.catchUp(createLogReader(store.db), head, (done) => reported.push(done));
    expect(reported.at(-1)).toBe(head);
    expect([replayer.position, replayer.done]).toEqual([head, head]);
    expect(projectionDigests(scratch.db)).toEqual(projectionDigests(store.db));
    scratch.dispose();
    store.close();
  });
});

describe("replaying rows of the log", () => {
  it("stops with CORRUPT_LOG naming the column and its value at a row whose envelope has the wrong type", () => {
    const store = createTestStore();
    store.append(pipelineDays(1));
    const position = store.headPosition() + 1;
    insertChained(
      store.db,
      forge(
        `'x', 'batch:x', 'one', 'BatchStarted', 1, '{"batchId":"x"}', '{}', '2026-03-01T00:00:00.000Z', '2026-03-01T00:00:00.000Z'`,
      ),
    );
    const message = new RegExp(`event row at position ${position}: streamVersion should be an integer, got text "one"`);
    expectStoreError(() => rebuildProjections(store), "CORRUPT_LOG", message);
    expectStoreError(() => auditProjections(store), "CORRUPT_LOG", message);
    store.close();
  });

  it("stops at a blob where the log keeps text", () => {
    const store = createTestStore();
    insertChained(
      store.db,
      forge(`'x', 'batch:x', 1, 'BatchStarted', 1, '{"batchId":"x"}', '{}', X'00ff', '2026-03-01T00:00:00.000Z'`),
    );
    expectStoreError(
      () => rebuildProjections(store),
      "CORRUPT_LOG",
      /event row at position 1: occurredAt should be text, got a blob of 2 bytes/,
    );
    store.close();
  });

  it("hands the handlers each event's metadata, parsed, whether empty or not", () => {
    const store = createTestStore();
    store.append([
      { type: "BatchStarted", data: { batchId: "a" }, metadata: { correlationId: "run-7", extra: { n: 1 } } },
      { type: "BatchStarted", data: { batchId: "b" } },
    ]);
    expect(store.db.prepare("SELECT metadata FROM events ORDER BY position").pluck().all()).toEqual([
      '{"correlationId":"run-7","extra":{"n":1}}',
      "{}",
    ]);
    const [a, b] = store.readAll().events;
    expect(a?.metadata).toEqual({ correlationId: "run-7", extra: { n: 1 } });
    expect(b?.metadata).toEqual({});
    // Each event its own object: a handler that mutated one would not change the next.
    const [again] = store.readAll({ after: 1 }).events;
    expect(again?.metadata).not.toBe(b?.metadata);
    store.close();
  });

  it("refuses metadata the schema refuses, even in a replay", () => {
    const store = createTestStore();
    insertChained(
      store.db,
      forge(
        `'x', 'batch:x', 1, 'BatchStarted', 1, '{"batchId":"x"}', '{"producer":7}', '2026-03-01T00:00:00.000Z', '2026-03-01T00:00:00.000Z'`,
      ),
    );
    expect(() => store.readAll()).toThrow(/producer/);
    store.close();
  });
});
