import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { openAsyncStore } from "../../src/index.js";
import { appendAlongsideModel, command } from "../model/commands.js";
import { modelRows } from "../model/referenceModel.js";
import { migratedPostgresDatabase, postgresRows } from "./backends.js";

const CLOCK = "2026-01-08T12:00:00.000Z";

describe("the PostgreSQL store against the pure reference model", () => {
  it("appends random sequences exactly as the model does, with the model's rows and gapless positions", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(command, { minLength: 5, maxLength: 40, size: "medium" }), async (commands) => {
        const url = await migratedPostgresDatabase();
        const store = await openAsyncStore(url, { clock: () => new Date(CLOCK), maxConnections: 1 });
        try {
          const model = await appendAlongsideModel(commands, CLOCK, (batch) => store.append(batch));
          for (const table of ["generated_images", "training_sessions", "creation_sessions"] as const)
            expect(await postgresRows(url, table)).toEqual(modelRows(model, table));
          const events = (await store.readAll({ limit: 100_000 })).events;
          expect(events.map((e) => e.position)).toEqual(Array.from({ length: model.position }, (_, i) => i + 1));
        } finally {
          await store.close();
        }
      }),
      { numRuns: Number(process.env.PG_PROPERTY_RUNS ?? 20) },
    );
  });
});
