import { describe, expect, it } from "vitest";
import { type AsyncStore, openAsyncStore, type StoredEvent } from "../../src/index.js";
import { migratedPostgresDatabase } from "./backends.js";

const WRITERS = 6;
const APPENDS = 30;

describe("appends from many connections on PostgreSQL", () => {
  it("serialize on the advisory lock: positions gapless, stream versions gapless, and a following reader misses none", async () => {
    const url = await migratedPostgresDatabase();
    const stores: AsyncStore[] = await Promise.all(
      Array.from({ length: WRITERS + 1 }, () => openAsyncStore(url, { maxConnections: 2 })),
    );
    const [reader, ...writers] = stores;
    if (!reader) throw new Error("no reader");
    try {
      let done = false;
      // A consumer as a checkpointing reader runs one: read after its checkpoint, move the checkpoint to the last
      // event it saw. With positions committed out of order it would move past one not yet visible and skip it.
      const seen: StoredEvent[] = [];
      const follow = (async () => {
        let checkpoint = 0;
        for (;;) {
          const finished = done;
          const { events } = await reader.readAll({ after: checkpoint, limit: 50 });
          seen.push(...events);
          checkpoint = events.at(-1)?.position ?? checkpoint;
          if (finished && events.length === 0) return;
        }
      })();
      await Promise.all(
        writers.map(async (store, w) => {
          for (let i = 0; i < APPENDS; i++) {
            // Every writer also touches one shared stream, so the stream rules see the others' events too.
            await store.append(
              i === 0
                ? [{ type: "BatchStarted", data: { batchId: `w${w}` } }]
                : [{ type: "ImageGenerated", data: { filename: `w${w}-${i}.png`, prompt: "p", modelId: "m" } }],
            );
          }
        }),
      );
      done = true;
      await follow;
      const total = WRITERS * APPENDS;
      expect(seen.map((e) => e.position)).toEqual(Array.from({ length: total }, (_, i) => i + 1));
      expect(await reader.headPosition()).toBe(total);
      // The projection's ids are gapless too (listed by creation time, which each writer's clock gave: sort them).
      const ids = (await reader.queries.uncuratedImages({ limit: -1 })).map((r) => r.id).sort((a, b) => a - b);
      expect(ids).toEqual(Array.from({ length: WRITERS * (APPENDS - 1) }, (_, i) => i + 1));
    } finally {
      await Promise.all(stores.map((s) => s.close()));
    }
  });
});
