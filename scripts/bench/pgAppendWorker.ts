// One appending process of the PostgreSQL benchmark: builds its share of the workload, says
// "ready", waits for "go" on stdin, writes it, prints its figures as JSON. Mode "store" appends
// through openAsyncStore (validation, advisory lock, log, projections); mode "raw" runs only the
// projections' statements on prepared events, in the same transactions: the same tables, no log.
import { createInterface } from "node:readline";
import { workload } from "../../src/demo/workload.js";
import type { StoredEvent } from "../../src/events/envelope.js";
import { prepareEvent } from "../../src/events/prepareEvent.js";
import { type NewEvent, openAsyncStore } from "../../src/index.js";
import { inTransaction, openPool } from "../../src/postgres/connection.js";
import { projectOnPostgres } from "../../src/postgres/projections.js";

const [url = "", prefix = "p", images, perAppend, seed, mode] = process.argv.slice(2);
const events = [...workload({ images: Number(images), prefix, seed: Number(seed) })];
const groups: NewEvent[][] = [];
for (let i = 0; i < events.length; i += Number(perAppend)) groups.push(events.slice(i, i + Number(perAppend)));
const clock = () => new Date("2026-01-08T12:00:00.000Z");

const versions = new Map<string, number>();
const stored = groups.map((g) =>
  g.map((e, i) => {
    const p = prepareEvent(e, i, clock);
    const version = (versions.get(p.streamId) ?? 0) + 1;
    versions.set(p.streamId, version);
    return { ...p, position: 0, streamVersion: version, recordedAt: p.occurredAt } as unknown as StoredEvent;
  }),
);

const run = async (): Promise<void> => {
  if (mode === "raw") {
    const pool = openPool(url, 1);
    for (const g of stored)
      await inTransaction(pool, async (c) => {
        for (const e of g) await projectOnPostgres(c, e);
      });
    await pool.end();
    return;
  }
  const store = await openAsyncStore(url, { producer: prefix, maxConnections: 1 });
  for (const g of groups) await store.append(g);
  await store.close();
};

const lines = createInterface({ input: process.stdin });
process.stdout.write("ready\n");
lines.once("line", async () => {
  const t0 = process.hrtime.bigint();
  await run();
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  process.stdout.write(`${JSON.stringify({ events: events.length, seconds })}\n`);
  lines.close();
});
