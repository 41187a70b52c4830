// Rebuild and audit in a process of their own, so its peak RSS is theirs alone.
import { auditProjections, openStore, rebuildProjections } from "../../src/index.js";

const [path] = process.argv.slice(2);
const store = openStore({ url: `sqlite:${path}`, stale: "ignore" });
const rssOpenKb = process.resourceUsage().maxRSS;
const rebuild = rebuildProjections(store);
const rssRebuildKb = process.resourceUsage().maxRSS;
const audit = auditProjections(store);
store.close();
process.stdout.write(`${JSON.stringify({ events: rebuild.events, rebuildMs: rebuild.durationMs, auditMs: audit.durationMs, auditOk: audit.ok, rssOpenKb, rssRebuildKb })}\n`);
