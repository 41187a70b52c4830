import { describe, expect, it, onTestFinished } from "vitest";
import { z } from "zod";
import { createCheckpoints } from "../../src/consumers/checkpoints.js";
import { type FollowOptions, followConsumer } from "../../src/operations.js";
import { createTestStore, type TestStore } from "../../src/testing/index.js";

const fresh = (events: number): TestStore => {
  const store = createTestStore();
  onTestFinished(store.close);
  for (let i = 0; i < events; i++) store.emit.batchStarted({ batchId: `b${i}` });
  return store;
};

/** Lines pushed by the test, as a follower's stdin; `end()` closes it. */
const ackInput = () => {
  const queue: string[] = [];
  let ended = false;
  let wake: () => void = () => {};
  return {
    push: (line: string) => {
      queue.push(line);
      wake();
    },
    end: () => {
      ended = true;
      wake();
    },
    async *[Symbol.asyncIterator]() {
      for (;;) {
        const line = queue.shift();
        if (line !== undefined) yield line;
        else if (ended) return;
        else await new Promise<void>((resolve) => (wake = resolve));
      }
    },
  };
};

const Line = z.union([z.object({ position: z.number() }).passthrough(), z.object({ acked: z.number() })]);

/**
 * A client of the follow protocol in the same process: it reads each line as the follower
 * writes it, and `onLine` decides what to acknowledge. It checks the window on every line.
 */
const client = (
  store: TestStore,
  options: Omit<FollowOptions, "name"> & { name?: string },
  onLine: (line: z.output<typeof Line>, c: { ack: (p: number) => void; end: () => void; received: number[] }) => void,
) => {
  const input = ackInput();
  const received: number[] = [];
  const answers: number[] = [];
  let outstanding = 0;
  let maxOutstanding = 0;
  const controls = { ack: (p: number) => input.push(JSON.stringify({ ack: p })), end: input.end, received };
  const run = followConsumer(
    store,
    { name: "f", ...options },
    {
      write: (text) => {
        const line = Line.parse(JSON.parse(text));
        if ("position" in line) {
          received.push(line.position);
          outstanding++;
        } else {
          answers.push(line.acked);
          outstanding = received.filter((p) => p > line.acked).length;
        }
        maxOutstanding = Math.max(maxOutstanding, outstanding);
        onLine(line, controls);
        return undefined;
      },
      acks: input,
    },
  );
  return { run, received, answers, input, maxOutstanding: () => maxOutstanding };
};

const checkpoint = (store: TestStore, name = "f") => createCheckpoints(store.db).mustGet(name).position;

describe("followConsumer (the protocol of artist-store follow)", () => {
  it("writes events in order, moves the checkpoint on each acknowledgement and answers it once durable", async () => {
    const store = fresh(5);
    const c = client(store, {}, (line, { ack, end }) => {
      if ("position" in line && line.position % 2 === 0) ack(line.position);
      if ("acked" in line) {
        expect(checkpoint(store)).toBe(line.acked);
        if (line.acked === 4) end();
      }
    });
    expect(await c.run).toMatchObject({ position: 4, sent: 5, acked: 2, stopped: "input closed" });
    expect(c.received).toEqual([1, 2, 3, 4, 5]);
    expect(c.answers).toEqual([2, 4]);
    expect(checkpoint(store)).toBe(4);
    expect(createCheckpoints(store.db).mustGet("f").leaseHolder).toBeNull();
  });

  it("never has more than --window lines unacknowledged", async () => {
    const store = fresh(40);
    // A slow client: it acknowledges only every seventh line, and only what the window let through.
    const c = client(store, { window: 5, batchSize: 3, untilHead: true }, (line, { ack, received }) => {
      if ("position" in line && (line.position % 7 === 0 || line.position === 40 || received.length % 5 === 0))
        ack(line.position);
    });
    expect(await c.run).toMatchObject({ position: 40, sent: 40, stopped: "head" });
    expect(c.received).toEqual(Array.from({ length: 40 }, (_, i) => i + 1));
    expect(c.maxOutstanding()).toBe(5);
  });

  it("resumes after the last acknowledgement: unacknowledged lines come again, acknowledged ones never", async () => {
    const store = fresh(6);
    const first = client(store, {}, (line, { ack, end }) => {
      if ("position" in line && line.position === 3) ack(3);
      if ("acked" in line) end();
    });
    await first.run;
    expect(first.received.slice(0, 3)).toEqual([1, 2, 3]);
    const second = client(store, { untilHead: true }, (line, { ack }) => {
      if ("position" in line && line.position === 6) ack(6);
    });
    await second.run;
    expect(second.received).toEqual([4, 5, 6]);
    expect(checkpoint(store)).toBe(6);
  });

  it.each([
    ["not JSON", "{ack: 2}", /ack line 2: not valid JSON/],
    [
      "not an ack",
      '{"position": 2}',
      /ack line 2: expected \{"ack": POSITION\} with POSITION a whole number, got \{"position": 2\}/,
    ],
    [
      "a position that was never sent",
      '{"ack": 3}',
      /ack line 2: ack 3 is not the position of an event sent; awaiting acknowledgement: 4, 5/,
    ],
    ["a position beyond the last sent", '{"ack": 9}', /ack line 2: ack 9 is beyond the last position sent \(5\)/],
    [
      "a position going backwards",
      '{"ack": 1}',
      /ack line 2: ack 1 goes backwards: position 2 is already acknowledged/,
    ],
  ])(
    "refuses %s with INVALID_ACK and leaves the checkpoint at the previous acknowledgement",
    async (_, bad, message) => {
      // Only the generations are sent (positions 2, 4 and 5 of this log), so 3 lies between two sent positions.
      const filtered = createTestStore();
      onTestFinished(filtered.close);
      filtered.emit.batchStarted({ batchId: "a" });
      filtered.emit.imageGenerated({ filename: "x.png", prompt: "x", modelId: "m" });
      filtered.emit.batchStarted({ batchId: "b" });
      filtered.emit.imageGenerated({ filename: "y.png", prompt: "y", modelId: "m" });
      filtered.emit.imageGenerated({ filename: "z.png", prompt: "z", modelId: "m" });
      const c = client(filtered, { types: ["ImageGenerated"], window: 3 }, (line, { ack }) => {
        if ("position" in line && line.position === 5) ack(2);
        if ("acked" in line) c.input.push(bad);
      });
      await expect(c.run).rejects.toMatchObject({ code: "INVALID_ACK", message: expect.stringMatching(message) });
      expect(checkpoint(filtered)).toBe(2);
      expect(createCheckpoints(filtered.db).mustGet("f").leaseHolder).toBeNull();
    },
  );

  it("without acknowledgements moves the checkpoint as it writes (at-most-once)", async () => {
    const store = fresh(7);
    const c = client(store, { ack: false, batchSize: 3, untilHead: true }, (line) => {
      // The batch a line belongs to is checkpointed before it is written.
      if ("position" in line) expect(checkpoint(store)).toBeGreaterThanOrEqual(line.position);
    });
    expect(await c.run).toMatchObject({ position: 7, sent: 7, acked: 0, stopped: "head" });
  });

  it("refuses a window below 1 and acknowledgements without an input", async () => {
    const store = fresh(1);
    await expect(
      followConsumer(store, { name: "f", window: 0 }, { write: () => undefined, acks: ackInput() }),
    ).rejects.toMatchObject({
      code: "INVALID_ARGUMENT",
      message: expect.stringMatching(/window must be an integer from 1/),
    });
    await expect(followConsumer(store, { name: "f" }, { write: () => undefined })).rejects.toMatchObject({
      code: "INVALID_ARGUMENT",
    });
  });
});
