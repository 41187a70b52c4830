// Rebuild and audit in a process of their own, so its peak RSS is theirs alone.
import { openStore } from "../../src/index.js";
import { auditProjections, rebuildProjections } from "../../src/operations.js";
import { ownPeakRssKb } from "./peakRss.js";

// `--rebuild-only` skips the audit (rebuildRatio.ts times rebuilds alone).
const [path, only] = process.argv.slice(2);
const store = openStore({ url: `sqlite:${path}`, stale: "ignore" });
const rssOpenKb = ownPeakRssKb();
const rebuild = rebuildProjections(store);
const rssRebuildKb = ownPeakRssKb();
const audit = only === "--rebuild-only" ? undefined : auditProjections(store);
store.close();
const result = {
  events: rebuild.events,
  rebuildMs: rebuild.durationMs,
  lockMs: rebuild.lockMs,
  auditMs: audit?.durationMs,
  auditOk: audit?.ok,
  rssOpenKb,
  rssRebuildKb,
};
process.stdout.write(`${JSON.stringify(result)}\n`);
