// A recovery drill: the demo's day, a backup, a second day; then copies of that database damaged
// in the middle of the log, in the log's indexes and in the header, each recovered. Prints what
// each recovery salvaged and lost (docs/operations.md#recover). Usage: npx tsx scripts/bench/recoverDrill.ts
import { closeSync, cpSync, mkdirSync, openSync, readFileSync, writeSync } from "node:fs";
import { join } from "node:path";
import { z } from "zod";
import { processIo } from "../../src/cli/common.js";
import { runCli } from "../../src/cli/main.js";
import { openConnection } from "../../src/db/connection.js";
import { backupDatabase } from "../../src/maintenance/backup.js";
import { type PositionRange, recoverDatabase } from "../../src/maintenance/recover.js";
import { cleanUp, scratchDir } from "./support.js";

const quiet = { ...processIo(), out: () => {}, write: async () => true };
const demo = async (db: string, args: string[]) => {
  if ((await runCli(["node", "artist-store", "demo", "--db", db, ...args], quiet)) !== 0)
    throw new Error("demo failed");
};

const origin = join(scratchDir, "origin");
mkdirSync(origin);
const db = join(origin, "ai_artist.db");
await demo(db, []);
const backup = await backupDatabase(db);
await demo(db, ["--day", "2026-01-09", "--seed", "7"]);

const read = <T>(path: string, work: (c: ReturnType<typeof openConnection>) => T): T => {
  const c = openConnection(path, { readonly: true });
  try {
    return work(c);
  } finally {
    c.close();
  }
};
const pageSize = read(db, (c) => z.number().parse(c.pragma("page_size", { simple: true })));
const pagesOf = (name: string, type?: string) =>
  read(db, (c) =>
    z.array(z.number()).parse(
      c
        .prepare("SELECT pageno FROM dbstat WHERE name = ? AND (? IS NULL OR pagetype = ?)")
        .pluck()
        .all(name, type ?? null, type ?? null),
    ),
  );
const last = read(db, (c) => z.number().parse(c.prepare("SELECT max(position) FROM events").pluck().get()));
const head = backup.head?.position ?? 0;
/** The leaf page of the log holding the event halfway between the backup's head and the last event. */
const middle = (() => {
  const position = Math.floor((head + last) / 2);
  const id = read(db, (c) =>
    z.string().parse(c.prepare("SELECT event_id FROM events WHERE position = ?").pluck().get(position)),
  );
  const leaves = new Set(pagesOf("events", "leaf"));
  const bytes = readFileSync(db);
  for (let at = bytes.indexOf(id); at >= 0; at = bytes.indexOf(id, at + 1))
    if (leaves.has(Math.floor(at / pageSize) + 1)) return { position, page: Math.floor(at / pageSize) + 1 };
  throw new Error(`event ${position} not found in a leaf page of the log`);
})();

const damages: Record<string, { what: string; pages: number[]; header?: true }> = {
  log: { what: `a leaf page of the log (holding position ${middle.position})`, pages: [middle.page] },
  index: {
    what: "every page of the log's two unique indexes",
    pages: [...pagesOf("sqlite_autoindex_events_1"), ...pagesOf("sqlite_autoindex_events_2")],
  },
  header: { what: "the file header (first 100 bytes)", pages: [], header: true },
};

const ranges = (rs: readonly PositionRange[]) =>
  rs.map((r) => (r.from === r.to ? `${r.from}` : `${r.from}..${r.to}`)).join(", ") || "none";
console.log(`log of ${last} events; backup head ${head}; page size ${pageSize}`);
console.log("| damage | pages overwritten | salvaged | lost | new head | verify | exit |");
console.log("|---|---|---|---|---|---|---|");
for (const [name, d] of Object.entries(damages)) {
  const dir = join(scratchDir, name);
  cpSync(origin, dir, { recursive: true });
  const copy = join(dir, "ai_artist.db");
  const fd = openSync(copy, "r+");
  for (const p of d.pages) writeSync(fd, Buffer.alloc(pageSize, 0xa5), 0, pageSize, (p - 1) * pageSize);
  if (d.header) writeSync(fd, Buffer.alloc(100, 0), 0, 100, 0);
  closeSync(fd);
  const r = await recoverDatabase(copy);
  const salvaged = r.salvaged.reduce((n, x) => n + x.to - x.from + 1, 0);
  const lost = r.lost.map((l) => `${ranges([l])} (${l.reason})`).join(", ") || "none";
  console.log(
    `| ${d.what} | ${d.pages.length || "header"} | ${salvaged} (${ranges(r.salvaged)}) | ${lost} | ${r.head?.position} | ${r.verify.ok ? "ok" : "failed"} | ${r.complete ? 0 : 1} |`,
  );
}
cleanUp();
