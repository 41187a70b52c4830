import { describe, expect, it, onTestFinished } from "vitest";
import { z } from "zod";
import { createCheckpoints } from "../../src/consumers/checkpoints.js";
import {
  type EventOf,
  openStore,
  runConsumer,
  type StoredEvent,
  StoreError,
  waitForPosition,
} from "../../src/index.js";
import { resetConsumer } from "../../src/operations.js";
import { createTestStore, type TestStore } from "../../src/testing/index.js";

const fresh = (): TestStore => {
  const store = createTestStore();
  onTestFinished(store.close);
  return store;
};

/** An image generated and curated, and a batch around them: four events. */
const addImage = (store: TestStore, name: string, featured = false) => {
  store.emit.batchStarted({ batchId: `batch-${name}` });
  store.emit.imageGenerated({ filename: `${name}.png`, prompt: `a ${name}`, modelId: "sdxl" });
  store.emit.imageCurated({ filename: `${name}.png`, status: "curated", finalScore: 8, isFeatured: featured });
  store.emit.batchFinished({ batchId: `batch-${name}`, imagesCreated: 1, imagesKept: 1 });
};

const positions = (events: readonly StoredEvent[]) => events.map((e) => e.position);
const checkpointOf = (store: TestStore, name: string) => createCheckpoints(store.db).mustGet(name).position;

/** Run a consumer to the head and return what it was given, batch by batch. */
const drain = async (
  store: TestStore,
  name: string,
  options: {
    batchSize?: number;
    types?: ("ImageCurated" | "BatchStarted")[];
    streamPrefix?: string;
    from?: "beginning" | "end" | number;
  } = {},
) => {
  const batches: number[][] = [];
  const result = await runConsumer(store, {
    name,
    ...options,
    stopAtHead: true,
    handle: (events) => {
      batches.push(positions(events));
    },
  });
  return { batches, result };
};

describe("runConsumer delivers the log in order", () => {
  it("gives every event once, in position order, in batches, and checkpoints after each", async () => {
    const store = fresh();
    for (const n of ["a", "b", "c"]) addImage(store, n);
    const checkpoints: number[] = [];
    const seen: number[][] = [];
    const result = await runConsumer(store, {
      name: "all",
      batchSize: 5,
      stopAtHead: true,
      onCheckpoint: (p) => checkpoints.push(p),
      handle: (events, { from, through }) => {
        seen.push(positions(events));
        expect(checkpointOf(store, "all")).toBe(from);
        expect(through).toBe(events.at(-1)?.position);
      },
    });
    expect(seen).toEqual([
      [1, 2, 3, 4, 5],
      [6, 7, 8, 9, 10],
      [11, 12],
    ]);
    expect(checkpoints).toEqual([5, 10, 12]);
    expect(result).toMatchObject({ name: "all", position: 12, delivered: 12, batches: 3, stopped: "head" });
    expect(checkpointOf(store, "all")).toBe(12);
  });

  it("resumes after its checkpoint: a second run gets only what was appended since", async () => {
    const store = fresh();
    addImage(store, "a");
    expect((await drain(store, "c")).batches).toEqual([[1, 2, 3, 4]]);
    expect((await drain(store, "c")).batches).toEqual([]);
    addImage(store, "b");
    expect((await drain(store, "c")).batches).toEqual([[5, 6, 7, 8]]);
  });

  it("filters by type and by stream prefix, and moves its checkpoint past what it skipped", async () => {
    const store = fresh();
    for (const n of ["a", "b"]) addImage(store, n);
    const curated = await drain(store, "curations", { types: ["ImageCurated"] });
    expect(curated.batches).toEqual([[3, 7]]);
    expect(checkpointOf(store, "curations")).toBe(8);
    const batches = await drain(store, "batches", { streamPrefix: "batch:batch-b" });
    expect(batches.batches).toEqual([[5, 8]]);
    expect(
      (await drain(store, "b-starts", { types: ["BatchStarted"], streamPrefix: "batch:batch-b" })).batches,
    ).toEqual([[5]]);
  });

  it("types the events it hands over by the types asked for", async () => {
    const store = fresh();
    addImage(store, "a", true);
    const featured: string[] = [];
    await runConsumer(store, {
      name: "typed",
      types: ["ImageCurated"],
      stopAtHead: true,
      handle: (events: EventOf<"ImageCurated">[]) => {
        for (const e of events) if (e.data.isFeatured) featured.push(e.data.filename);
      },
    });
    expect(featured).toEqual(["a.png"]);
  });

  it("starts a new consumer at the beginning, at the end, or at a position, and an existing one where it stopped", async () => {
    const store = fresh();
    addImage(store, "a");
    expect((await drain(store, "b", { from: "beginning" })).batches).toEqual([[1, 2, 3, 4]]);
    expect((await drain(store, "e", { from: "end" })).batches).toEqual([]);
    expect((await drain(store, "p", { from: 3 })).batches).toEqual([[3, 4]]);
    addImage(store, "b");
    expect((await drain(store, "e", { from: "beginning" })).batches).toEqual([[5, 6, 7, 8]]);
    resetConsumer(store, "p", "beginning");
    expect((await drain(store, "p")).batches).toEqual([[1, 2, 3, 4, 5, 6, 7, 8]]);
  });

  it("wakes for an event appended by another process's connection while it waits", async () => {
    const store = fresh();
    const other = openStore({ url: store.path });
    onTestFinished(() => other.close());
    const controller = new AbortController();
    const got: number[] = [];
    let woken: () => void = () => {};
    const handled = new Promise<void>((resolve) => (woken = resolve));
    const run = runConsumer(store, {
      name: "waiting",
      signal: controller.signal,
      handle: (events) => {
        got.push(...positions(events));
        woken();
      },
    });
    // Let it reach its idle wait on the empty log: the append through another connection must wake it.
    await new Promise((resolve) => setTimeout(resolve, 50));
    other.emit.batchStarted({ batchId: "late" });
    await handled;
    controller.abort();
    expect(await run).toMatchObject({ position: 1, delivered: 1, stopped: "aborted" });
    expect(got).toEqual([1]);
  });
});

describe("exactly-once: handleInTransaction", () => {
  const featuredTable = (store: TestStore) =>
    store.db.exec(`CREATE TABLE featured (filename TEXT PRIMARY KEY, position INTEGER NOT NULL)`);
  const featuredRows = (store: TestStore) =>
    store.db.prepare(`SELECT filename, position FROM featured ORDER BY position`).all();

  it("commits the handler's writes and the checkpoint together", async () => {
    const store = fresh();
    featuredTable(store);
    addImage(store, "a", true);
    addImage(store, "b", false);
    await runConsumer(store, {
      name: "featured",
      types: ["ImageCurated"],
      stopAtHead: true,
      handleInTransaction: (events, { db }) => {
        const insert = db.prepare(`INSERT INTO featured (filename, position) VALUES (?, ?)`);
        for (const e of events) if (e.data.isFeatured) insert.run(e.data.filename, e.position);
      },
    });
    expect(featuredRows(store)).toEqual([{ filename: "a.png", position: 3 }]);
    expect(checkpointOf(store, "featured")).toBe(8);
  });

  it("leaves neither its writes nor the checkpoint when the handler throws, and gives the batch again", async () => {
    const store = fresh();
    featuredTable(store);
    addImage(store, "a", true);
    const failure = new Error("the handler broke after writing");
    await expect(
      runConsumer(store, {
        name: "featured",
        stopAtHead: true,
        handleInTransaction: (events, { db }) => {
          for (const e of events)
            db.prepare(`INSERT INTO featured (filename, position) VALUES (?, ?)`).run(e.eventId, e.position);
          store.emit.batchStarted({ batchId: "written-inside" });
          throw failure;
        },
      }),
    ).rejects.toBe(failure);
    expect(featuredRows(store)).toEqual([]);
    expect(store.headPosition()).toBe(4);
    expect(checkpointOf(store, "featured")).toBe(0);
    expect((await drain(store, "featured")).batches).toEqual([[1, 2, 3, 4]]);
  });

  it("refuses a handler that returns a promise, writing nothing", async () => {
    const store = fresh();
    featuredTable(store);
    addImage(store, "a");
    const run = runConsumer(store, {
      name: "async",
      stopAtHead: true,
      // The compiler lets a promise-returning function stand for one returning void: the run refuses it.
      handleInTransaction: async (events, { db }) => {
        db.prepare(`INSERT INTO featured (filename, position) VALUES ('x', 1)`).run();
        return events.length;
      },
    });
    await expect(run).rejects.toMatchObject({
      code: "INVALID_ARGUMENT",
      message: expect.stringMatching(/must be synchronous/),
    });
    expect(featuredRows(store)).toEqual([]);
    expect(checkpointOf(store, "async")).toBe(0);
  });
});

describe("at-least-once: handle", () => {
  it("does not checkpoint a batch whose handler rejects, and delivers it again", async () => {
    const store = fresh();
    addImage(store, "a");
    const failure = new Error("upload failed");
    await expect(
      runConsumer(store, {
        name: "uploader",
        batchSize: 2,
        stopAtHead: true,
        handle: async (events) => {
          if (events.some((e) => e.position === 3)) throw failure;
        },
      }),
    ).rejects.toBe(failure);
    expect(checkpointOf(store, "uploader")).toBe(2);
    expect((await drain(store, "uploader")).batches).toEqual([[3, 4]]);
  });

  it("on abort, checkpoints a batch its handler finishes and gives again one its handler abandons", async () => {
    const store = fresh();
    addImage(store, "a");
    const finish = new AbortController();
    const finished = await runConsumer(store, {
      name: "finishes",
      batchSize: 2,
      signal: finish.signal,
      handle: async (_events, { signal }) => {
        finish.abort();
        expect(signal.aborted).toBe(true);
        await new Promise((resolve) => setTimeout(resolve, 5));
      },
    });
    expect(finished).toMatchObject({ position: 2, delivered: 2, stopped: "aborted" });
    expect(checkpointOf(store, "finishes")).toBe(2);

    const abandon = new AbortController();
    const abandoned = await runConsumer(store, {
      name: "abandons",
      batchSize: 2,
      signal: abandon.signal,
      handle: async (_events, { signal }) => {
        abandon.abort();
        if (signal.aborted) throw new Error("gave up");
      },
    });
    expect(abandoned).toMatchObject({ position: 0, delivered: 0, stopped: "aborted" });
    expect(checkpointOf(store, "abandons")).toBe(0);
    expect((await drain(store, "abandons")).batches).toEqual([[1, 2, 3, 4]]);
  });

  it("stops with LEASE_LOST, without checkpointing, when its lease is taken away during a batch", async () => {
    const store = fresh();
    addImage(store, "a");
    const run = runConsumer(store, {
      name: "fenced",
      batchSize: 2,
      handle: async (events) => {
        if (events[0]?.position === 3) resetConsumer(store, "fenced", 2, { force: true });
      },
    });
    await expect(run).rejects.toMatchObject({ code: "LEASE_LOST" });
    expect(createCheckpoints(store.db).mustGet("fenced")).toMatchObject({ position: 1, leaseHolder: null, resets: 1 });
  });
});

describe("waitForPosition", () => {
  it("resolves at once for the projections, which are written in the append's transaction", async () => {
    const store = fresh();
    const { position } = store.emit.batchStarted({ batchId: "b" });
    expect(await waitForPosition(store, position)).toBe(true);
  });

  it("waits for a consumer to pass a position, and says false when the timeout comes first", async () => {
    const store = fresh();
    addImage(store, "a");
    await drain(store, "slow", { batchSize: 1 });
    const { position } = store.emit.batchStarted({ batchId: "later" });
    expect(await waitForPosition(store, position, { consumer: "slow", timeoutMs: 20 })).toBe(false);
    const waiting = waitForPosition(store, position, { consumer: "slow", timeoutMs: 60_000 });
    await drain(store, "slow");
    expect(await waiting).toBe(true);
  });

  it("refuses an unknown consumer and a bad position", async () => {
    const store = fresh();
    await expect(waitForPosition(store, 1, { consumer: "nobody" })).rejects.toMatchObject({
      code: "CONSUMER_NOT_FOUND",
    });
    await expect(waitForPosition(store, -1)).rejects.toMatchObject({ code: "INVALID_ARGUMENT" });
  });
});

describe("bad options", () => {
  const Code = z.object({ code: z.string(), message: z.string() });
  it.each([
    [{ name: "" }, /consumer name/],
    [{ name: "x", types: ["ImageDeleted"] }, /types must be event types/],
    [{ name: "x", batchSize: 0 }, /batchSize must be an integer from 1/],
    [{ name: "x", leaseMs: 1.5 }, /leaseMs must be an integer/],
    [{ name: "x", from: 0 }, /from must be "beginning", "end" or a position from 1/],
    [{ name: "x", from: "start" }, /from must be/],
    [{ name: "x", streamPrefix: "" }, /streamPrefix must be a non-empty string/],
  ])("refuses %j with one INVALID_ARGUMENT naming the option", async (options, message) => {
    const store = fresh();
    // Options as untyped code would pass them: through Reflect.apply, past the compiler.
    const run: Promise<unknown> = Reflect.apply(runConsumer, undefined, [store, { ...options, handle: () => {} }]);
    const caught = await run.catch((e: unknown) => e);
    expect(caught).toBeInstanceOf(StoreError);
    expect(Code.parse(caught)).toMatchObject({ code: "INVALID_ARGUMENT", message: expect.stringMatching(message) });
  });
});
