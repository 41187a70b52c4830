// The table renderer of `query` and `events` against cli-table3, per row, on chunks of 1,000 rows:
//   npx tsx scripts/bench/table.ts
import Table from "cli-table3";
import pc from "picocolors";
import type { Io } from "../../src/cli/common.js";
import { TABLE_CHUNK, tableWriter } from "../../src/cli/table.js";

const io: Io = {
  out: () => {},
  write: async () => true,
  err: () => {},
  tty: false,
  errTty: false,
  color: pc.createColors(false),
  errColor: pc.createColors(false),
};
const rows = Array.from({ length: TABLE_CHUNK }, (_, i) => ({
  id: i,
  filename: `20260108_120000_sunset_${i}.png`,
  finalScore: 8.5,
  isFeatured: i % 7 === 0,
  modelId: "sdxl-1.0",
  createdAt: "2026-01-08T12:00:00.000Z",
}));
const head = Object.keys(rows[0] ?? {});
const microseconds = (rounds: number, render: () => void) => {
  const t0 = performance.now();
  for (let r = 0; r < rounds; r++) render();
  return ((performance.now() - t0) * 1000) / (rounds * rows.length);
};
for (let round = 1; round <= 3; round++) {
  const ours = microseconds(20, () => {
    const t = tableWriter(io);
    t.chunk(rows);
    t.end();
  });
  const theirs = microseconds(1, () => {
    const t = new Table({ head, style: { head: [], border: [] } });
    for (const row of rows) t.push(head.map((h) => String(Reflect.get(row, h))));
    t.toString();
  });
  console.log(`round ${round}: tableWriter ${ours.toFixed(1)} µs a row, cli-table3 ${theirs.toFixed(1)} µs a row`);
}
