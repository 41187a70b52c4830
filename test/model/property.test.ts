import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { type NewEvent, StoreError } from "../../src/index.js";
import { auditProjections, projectionDigests, rebuildProjections } from "../../src/operations.js";
import { createTestStore } from "../../src/testing/index.js";
import { command } from "./commands.js";
import { appendToModel, emptyModel, modelRows, type Outcome } from "./referenceModel.js";

const CLOCK = "2026-01-08T12:00:00.000Z";

describe("the store against a pure reference model", () => {
  it("appends random sequences exactly as the model does; rebuild equals live; audit is clean; positions and versions gapless", () => {
    fc.assert(
      fc.property(fc.array(command, { minLength: 5, maxLength: 40, size: "medium" }), (commands) => {
        const store = createTestStore({ clock: () => new Date(CLOCK) });
        try {
          let model = emptyModel();
          const sent: NewEvent[][] = [];
          for (const c of commands) {
            const batch = "batch" in c ? c.batch : sent[c.retry % Math.max(sent.length, 1)];
            if (!batch) continue;
            sent.push(batch);
            const expected = appendToModel(model, batch, CLOCK);
            let actual: Outcome;
            try {
              actual = {
                ok: store
                  .append(batch)
                  .map(({ position, streamVersion, duplicate }) => ({ position, streamVersion, duplicate })),
              };
            } catch (e) {
              if (!(e instanceof StoreError)) throw e;
              actual = { error: e.code };
            }
            expect(actual).toEqual(expected.outcome);
            model = expected.state;
          }
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
