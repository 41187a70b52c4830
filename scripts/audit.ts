// Replay the log aside and compare it with the live tables: `npm run audit [-- --json]`. Exit 1 on drift.
import { parseArgs } from "node:util";
import { createProgress } from "../src/cli/progress.js";
import { runScript } from "../src/cli/runScript.js";
import { openStore } from "../src/index.js";
import { auditProjections, formatAuditReport } from "../src/replay/auditProjections.js";
import { parseProjectionNames } from "../src/replay/tables.js";

runScript(() => {
  const { values } = parseArgs({
    options: {
      url: { type: "string" },
      only: { type: "string" },
      json: { type: "boolean" },
      "max-rows": { type: "string" },
    },
  });
  const only = values.only ? parseProjectionNames(values.only.split(",")) : undefined;
  const store = openStore({ url: values.url, stale: "ignore" });
  try {
    const progress = createProgress("audit");
    const report = auditProjections(store, {
      only,
      onProgress: progress.onProgress,
      maxRows: values["max-rows"] ? Number(values["max-rows"]) : undefined,
    });
    progress.finish(values.json ? JSON.stringify(report, null, 2) : formatAuditReport(report));
    return report.ok ? 0 : 1;
  } finally {
    store.close();
  }
});
