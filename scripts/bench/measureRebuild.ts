// Rebuild speed and peak memory on a generated log:
//   npx tsx scripts/bench/measureRebuild.ts --events 1000000 [--db /tmp/measure.db]  (npm run measure:rebuild)
// Builds the log once (pipeline days, appended a day per transaction), then rebuilds
// in a fresh child process so its peak RSS is the rebuild's alone.
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { z } from "zod";
import { formatRate } from "../../src/cli/progress.js";
import { pipelineDay } from "../../src/demo/pipelineDay.js";
import { auditProjections } from "../../src/replay/auditProjections.js";
import { rebuildProjections } from "../../src/replay/rebuildProjections.js";
import { openStore } from "../../src/store/openStore.js";
import { ownPeakRssKb } from "./peakRss.js";

/** What the child process prints: one JSON line of figures. */
const ChildFigures = z.object({
  rebuild: z.object({ events: z.number(), durationMs: z.number(), lockMs: z.number() }),
  audit: z.object({ ok: z.boolean(), durationMs: z.number() }),
  rssOpenKb: z.number(),
  rssRebuildKb: z.number(),
  rssAfterAuditKb: z.number(),
});

const { values } = parseArgs({
  options: { events: { type: "string", default: "100000" }, db: { type: "string" }, child: { type: "string" } },
});

if (values.child) {
  const store = openStore({ url: values.child, stale: "ignore" });
  const rss0 = ownPeakRssKb();
  const rebuild = rebuildProjections(store);
  const rssRebuild = ownPeakRssKb();
  const audit = auditProjections(store);
  console.log(
    JSON.stringify({
      rebuild,
      audit: { ok: audit.ok, durationMs: audit.durationMs },
      rssOpenKb: rss0,
      rssRebuildKb: rssRebuild,
      rssAfterAuditKb: ownPeakRssKb(),
    }),
  );
  store.close();
} else {
  const target = Number(values.events);
  const dir = values.db ? undefined : mkdtempSync(join(tmpdir(), "ai-artist-measure-"));
  const path = values.db ?? join(dir ?? "", "measure.db");
  try {
    const store = openStore({ url: path, migrate: true, stale: "ignore" });
    const started = performance.now();
    const had = store.headPosition();
    for (let day = 0; store.headPosition() < target; day++) {
      const date = new Date(Date.UTC(2026, 0, 1) + day * 86_400_000).toISOString().slice(0, 10);
      store.append(pipelineDay({ seed: day + 1, day: date, imagesPerBatch: [150, 250] }));
    }
    const appended = store.headPosition() - had;
    if (appended > 0)
      console.log(
        `log: appended ${appended} events in ${((performance.now() - started) / 1000).toFixed(1)} s ` +
          `(${formatRate(appended, performance.now() - started)} events/s)`,
      );
    store.close();
    const child = spawnSync(process.execPath, [...process.execArgv, fileURLToPath(import.meta.url), "--child", path], {
      encoding: "utf8",
    });
    if (child.status !== 0) throw new Error(child.stderr);
    const r = ChildFigures.parse(JSON.parse(child.stdout));
    const mb = (kb: number) => `${Math.round(kb / 1024)} MB`;
    console.log(
      `rebuild: ${r.rebuild.events} events in ${(r.rebuild.durationMs / 1000).toFixed(1)} s = ` +
        `${formatRate(r.rebuild.events, r.rebuild.durationMs)} events/s; write lock held ${Math.round(r.rebuild.lockMs)} ms; ` +
        `peak RSS ${mb(r.rssRebuildKb)} (${mb(r.rssOpenKb)} after opening the store)`,
    );
    console.log(
      `audit: ${r.audit.ok ? "ok" : "DRIFT"} in ${(r.audit.durationMs / 1000).toFixed(1)} s; peak RSS ${mb(r.rssAfterAuditKb)}`,
    );
  } finally {
    if (dir && existsSync(dir)) rmSync(dir, { recursive: true, force: true });
  }
}
