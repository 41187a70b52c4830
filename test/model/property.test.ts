import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { auditProjections, projectionDigests, rebuildProjections } from "../../src/operations.js";
import { createTestStore } from "../../src/testing/index.js";
import { appendAlongsideModel, command } from "./commands.js";
import { modelRows } from "./referenceModel.js";

const CLOCK = "2026-01-08T12:00:00.000Z";

describe("the store against a pure reference model", () => {
  it("appends random sequences exactly as the model does; rebuild equals live; audit is clean; positions and versions gapless", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(command, { minLength: 5, maxLength: 40, size: "medium" }), async (commands) => {
        const store = createTestStore({ clock: () => new Date(CLOCK) });
        try {
          const model = await appendAlongsideModel(commands, CLOCK, (batch) => store.append(batch));
          for (const table of ["generated_images", "training_sessions", "creation_sessions"] as const)
            expect(store.rows(table)).toEqual(modelRows(model, table));
          const positions = store.db.prepare("SELECT position FROM events ORDER BY position").pluck().all();
          expect(positions).toEqual(Array.from({ length: model.position }, (_, i) => i + 1));
          const gappy = store.db
            .prepare(
              "SELECT stream_id FROM events GROUP BY stream_id HAVING min(stream_version) != 1 OR max(stream_version) != count(*)",
            )
            .all();
          expect(gappy).toEqual([]);
          const live = projectionDigests(store.db);
          rebuildProjections(store);
          expect(projectionDigests(store.db)).toEqual(live);
          expect(auditProjections(store).ok).toBe(true);
          expect(store.projectionStatus().map((s) => s.state)).toEqual(["fresh", "fresh", "fresh"]);
        } finally {
          store.close();
        }
      }),
      { numRuns: Number(process.env.PROPERTY_RUNS ?? 200) },
    );
  });
});
