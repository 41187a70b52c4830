import { describe, expect, it, onTestFinished } from "vitest";
import { workload } from "../../src/demo/workload.js";
import { openStore, StoreError } from "../../src/index.js";
import { auditProjections, rebuildProjections } from "../../src/operations.js";
import { createTestStore } from "../../src/testing/index.js";
import { curated, generated } from "../fixtures.js";

/** A store with a workload log of about 2 events per image, appended 500 at a time. */
const storeWithLog = (images: number) => {
  const store = createTestStore({ clock: () => new Date() });
  onTestFinished(store.close);
  let batch: Parameters<typeof store.append>[0][number][] = [];
  for (const e of workload({ images, seed: 7 })) {
    batch.push(e);
    if (batch.length === 500) {
      store.append(batch);
      batch = [];
    }
  }
  if (batch.length > 0) store.append(batch);
  return store;
};

const rowsOf = (store: ReturnType<typeof createTestStore>, table: string): number =>
  Number(store.db.prepare(`SELECT count(*) FROM ${table}`).pluck().get());

describe("the rebuild's write lock", () => {
  it("compares under the lock only the rows that differed before it or changed since, not the whole tables", () => {
    const store = storeWithLog(1500);
    const correct = rebuildProjections(store);
    expect(correct.rowsCheckedUnderLock).toBe(0);

    // Two rows made wrong: the rebuild finds them outside the lock and puts them right under it.
    store.db.exec(`UPDATE generated_images SET prompt = 'tampered' WHERE id IN (3, 700)`);
    store.db.exec(`DELETE FROM creation_sessions WHERE id = 2`);
    const repaired = rebuildProjections(store);
    // With rows that differ, the summary tables (quality_tiers, creation_days) are compared whole: they are small.
    const summaries = rowsOf(store, "quality_tiers") + rowsOf(store, "creation_days");
    expect(repaired.rowsCheckedUnderLock).toBe(summaries + 3);
    expect(rowsOf(store, "generated_images")).toBeGreaterThan(1000);
    expect(auditProjections(store).ok).toBe(true);
  });

  it("ends equal to the replay when another process appends while the rebuild compares and swaps", () => {
    const store = storeWithLog(3000);
    // Another writer (its own connection, as another process), appending at every progress report it can:
    // during the rounds, in the snapshot the comparison runs in, and (refused, the lock is taken) during the swap.
    const other = openStore({ url: store.path, busyTimeoutMs: 0 });
    onTestFinished(() => other.close());
    let n = 0;
    let refused = 0;
    // A score whose quality tier has rows: moving an image out of it changes that summary row.
    const score = Number(
      store.db.prepare(`SELECT final_score FROM generated_images WHERE final_score < 5 LIMIT 1`).pluck().get(),
    );
    const appendLate = () => {
      try {
        const at = `2026-02-01T00:00:${String(n % 60).padStart(2, "0")}Z`;
        if (!store.db.inTransaction) {
          // During the rounds: a new image, then made wrong behind the log's back (curated at `score`).
          other.append([generated(`late-${n}.png`, at)]);
          other.db
            .prepare(`UPDATE generated_images SET status = 'curated', final_score = ? WHERE filename = ?`)
            .run(score, `late-${n}.png`);
        } else {
          // In the snapshot the rebuild compares in (or refused: the swap holds the lock): the wrong image is curated.
          // The live handler moves it out of its tier: a summary row that was right in the snapshot, and that the
          // replay of this event never touches.
          other.append([curated(`late-${n - 1}.png`, at, { finalScore: 7.5 }), generated(`after-${n}.png`, at)]);
        }
        n++;
      } catch (e) {
        if (!(e instanceof StoreError && e.code === "STORE_BUSY")) throw e;
        refused++;
      }
    };
    const result = rebuildProjections(store, { onProgress: appendLate });
    expect(n).toBeGreaterThan(1);
    expect(result.position).toBe(store.headPosition());
    expect(result.rowsCheckedUnderLock).toBeLessThan(rowsOf(store, "generated_images") / 10);
    expect(auditProjections(store).ok).toBe(true);
    expect(refused).toBe(1);
  });
});
