// npx tsx scripts/bench/breakdown.ts [events per append = 1000] [images = 20000] [rounds = 5]
// Where an append's time goes: the hand-rolled log of issue 13 (scripts/bench/handRolled.ts),
// then the store's guarantees put on it one at a time, then store.append itself, in CPU µs
// per event (median of the rounds, the paths alternating; CPU time barely moves with other
// processes' load), each with the hand-rolled log's share of it.
import { openConnection } from "../../src/db/connection.js";
import { type NewEvent, openStore } from "../../src/index.js";
import { workloadGroups } from "./append.js";
import { type Guarantees, handRolledWriter } from "./handRolled.js";
import { rawDirectWriter } from "./rawDirect.js";
import { cleanUp, dropDb, freshDb, measure, median } from "./support.js";

const perAppend = Number(process.argv[2] ?? 1000);
const images = Number(process.argv[3] ?? 20_000);
const rounds = Number(process.argv[4] ?? 5);
const groups = [...workloadGroups({ images }, perAppend)()];
const events = groups.reduce((n, g) => n + g.length, 0);

interface Path {
  write: (g: readonly NewEvent[]) => void;
  close: () => void;
}
const connection = (writer: (db: ReturnType<typeof openConnection>) => Path["write"]) => (): Path => {
  const path = freshDb();
  const db = openConnection(path);
  const write = writer(db);
  return {
    write,
    close: () => {
      db.close();
      dropDb(path);
    },
  };
};
const handRolled = (add: Guarantees) => connection((db) => handRolledWriter(db, add));
const store = (setup: string) => (): Path => {
  const path = freshDb();
  const s = openStore({ url: `sqlite:${path}` });
  if (setup) s.db.exec(setup);
  return {
    write: (g) => s.append(g),
    close: () => {
      s.close();
      dropDb(path);
    },
  };
};

const paths: Record<string, () => Path> = {
  "raw-direct": connection(rawDirectWriter),
  "hand-rolled log": handRolled({}),
  "+ the store's table (AUTOINCREMENT, CHECKs)": handRolled({ storeTable: true }),
  "+ the guard triggers": handRolled({ storeTable: true, guards: true }),
  "+ the chain": handRolled({ storeTable: true, guards: true, chain: true }),
  "+ validation (prepareEvent)": handRolled({ storeTable: true, guards: true, chain: true, validation: true }),
  "+ the projection checkpoint": handRolled({
    storeTable: true,
    guards: true,
    chain: true,
    validation: true,
    checkpoint: true,
  }),
  "store.append": store(""),
  "store.append without events_no_replace": store("DROP TRIGGER events_no_replace"),
};

const cpu: Record<string, number[]> = {};
for (let round = 0; round < rounds; round++)
  for (const [name, open] of Object.entries(paths)) {
    const path = open();
    let seconds = 0;
    for (const g of groups) seconds += measure(() => path.write(g)).cpu;
    path.close();
    const samples = cpu[name] ?? [];
    samples.push((seconds * 1e6) / events);
    cpu[name] = samples;
  }
const hand = median(cpu["hand-rolled log"] ?? []);
console.log(
  `${events.toLocaleString("en")} events, ${perAppend} per append; CPU µs per event (median of ${rounds}) and the hand-rolled log's share of it`,
);
for (const [name, xs] of Object.entries(cpu))
  console.log(`${name.padEnd(44)} ${median(xs).toFixed(1).padStart(6)} µs  ${(hand / median(xs)).toFixed(2)}`);
cleanUp();
