// npx tsx scripts/bench/breakdown.ts [events per append = 1000] [images = 20000]
// Where an append's time goes: the raw-direct writes, the validation alone, raw-direct
// plus a hand-rolled log insert, and the store's append, in CPU µs per event (median
// of 5 rounds, alternating; CPU time barely moves with other processes' load).
import { uuidv7 } from "uuidv7";
import { openConnection } from "../../src/db/connection.js";
import { chainHash, GENESIS_HASH } from "../../src/events/chain.js";
import { prepareEvent } from "../../src/events/prepareEvent.js";
import { type NewEvent, openStore } from "../../src/index.js";
import { workloadGroups } from "./append.js";
import { rawDirectApplier, rawDirectWriter } from "./rawDirect.js";
import { cleanUp, dropDb, freshDb, measure, median } from "./support.js";

const perAppend = Number(process.argv[2] ?? 1000);
const images = Number(process.argv[3] ?? 20_000);
const groups = [...workloadGroups({ images }, perAppend)()];
const events = groups.reduce((n, g) => n + g.length, 0);

const closeAndDrop = (db: { close(): void }, path: string) => {
  db.close();
  dropDb(path);
};

interface Path {
  write: (g: readonly NewEvent[]) => void;
  close: () => void;
}
const paths: Record<string, () => Path> = {
  "raw-direct": () => {
    const path = freshDb();
    const db = openConnection(path);
    return { write: rawDirectWriter(db), close: () => closeAndDrop(db, path) };
  },
  "validation only (prepareEvent)": () => {
    const clock = () => new Date();
    const write = (g: readonly NewEvent[]) => {
      for (const [i, e] of g.entries()) prepareEvent(e, i, clock);
    };
    return { write, close: () => {} };
  },
  "raw-direct + hand-rolled log insert": () => {
    const path = freshDb();
    const db = openConnection(path);
    const apply = rawDirectApplier(db);
    const insert = db.prepare(
      `INSERT INTO events (position, event_id, stream_id, stream_version, type, schema_version, data, metadata, occurred_at, recorded_at, hash)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    const versions = new Map<string, number>();
    // Chained like the store's log: this process is the only writer, so it keeps the head itself.
    let position = 0;
    let previous = GENESIS_HASH;
    const write = db.transaction((g: readonly NewEvent[]) => {
      const now = new Date().toISOString();
      for (const e of g) {
        const d = e.data;
        const stream =
          "filename" in d ? `image:${d.filename}` : "runId" in d ? `training:${d.runId}` : `batch:${d.batchId}`;
        const version = (versions.get(stream) ?? 0) + 1;
        versions.set(stream, version);
        position++;
        const row = [
          position,
          uuidv7(),
          stream,
          version,
          e.type,
          1,
          JSON.stringify(e.data),
          "{}",
          e.occurredAt ?? now,
          now,
        ];
        previous = chainHash(previous, row);
        insert.run(...row, previous);
        apply(e);
      }
    });
    return { write: (g) => write.immediate(g), close: () => closeAndDrop(db, path) };
  },
  "store.append": () => {
    const path = freshDb();
    const store = openStore({ url: `sqlite:${path}` });
    return { write: (g) => store.append(g), close: () => closeAndDrop(store, path) };
  },
  // What the INSERT OR REPLACE guard (migration 20260105000001) costs every append.
  "store.append without events_no_replace": () => {
    const path = freshDb();
    const store = openStore({ url: `sqlite:${path}` });
    store.db.exec("DROP TRIGGER events_no_replace");
    return { write: (g) => store.append(g), close: () => closeAndDrop(store, path) };
  },
};

const cpu: Record<string, number[]> = {};
for (let round = 0; round < 5; round++)
  for (const [name, open] of Object.entries(paths)) {
    const path = open();
    let seconds = 0;
    for (const g of groups) seconds += measure(() => path.write(g)).cpu;
    path.close();
    const samples = cpu[name] ?? [];
    samples.push((seconds * 1e6) / events);
    cpu[name] = samples;
  }
const raw = median(cpu["raw-direct"] ?? []);
console.log(
  `${events.toLocaleString("en")} events, ${perAppend} per append; CPU µs per event (median of 5) and raw-direct's share of it`,
);
for (const [name, xs] of Object.entries(cpu))
  console.log(`${name.padEnd(36)} ${median(xs).toFixed(1).padStart(6)} µs  ${(raw / median(xs)).toFixed(2)}`);
cleanUp();
