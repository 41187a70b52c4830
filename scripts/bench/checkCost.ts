// What checking a database for damage costs, to choose when to check (docs/reliability.md):
//   npx tsx scripts/bench/measureRebuild.ts --events 1000000 --db /tmp/m.db   (builds a 1M-event log once)
//   npx tsx scripts/bench/checkCost.ts --db /tmp/m.db
// Prints the seconds of quick_check and integrity_check on a fresh connection each, and
// the microseconds of the damage mark's check an append pays (one stat of <db>-damaged).
import { statSync } from "node:fs";
import { parseArgs } from "node:util";
import { openConnection } from "../../src/db/connection.js";
import { createDamageGuard } from "../../src/db/damage.js";

const { values } = parseArgs({ options: { db: { type: "string" } } });
if (!values.db) throw new Error("usage: checkCost.ts --db PATH");
const path = values.db;

const db = openConnection(path, { readonly: true });
const events = Number(db.prepare("SELECT count(*) FROM events").pluck().get());
db.close();
console.log(`${path}: ${events} events, ${(statSync(path).size / 2 ** 20).toFixed(0)} MiB`);
for (const check of ["quick_check", "integrity_check"]) {
  const conn = openConnection(path, { readonly: true });
  const started = performance.now();
  const verdict = conn.pragma(check, { simple: true });
  console.log(`${check}: ${String(verdict)} in ${((performance.now() - started) / 1000).toFixed(2)} s`);
  conn.close();
}
const guard = createDamageGuard(path);
const rounds = 100_000;
const started = performance.now();
for (let i = 0; i < rounds; i++) guard.assertIntact();
console.log(`damage mark check: ${(((performance.now() - started) / rounds) * 1000).toFixed(2)} µs per append`);
