// Run the documented queries as the tables stood at a log position or a time:
// `npm run as-of -- --time 2026-01-08T12:00:00Z [--query qualityDistribution] [--json]`.
import { parseArgs } from "node:util";
import { createProgress } from "../src/cli/progress.js";
import { runScript } from "../src/cli/runScript.js";
import { databasePathFromEnv } from "../src/db/paths.js";
import { runAsOfQueries } from "../src/queries/byName.js";
import { openStoreAsOf } from "../src/replay/openStoreAsOf.js";

runScript(() => {
  const { values } = parseArgs({
    options: {
      url: { type: "string" },
      position: { type: "string" },
      time: { type: "string" },
      query: { type: "string" },
      json: { type: "boolean" },
    },
  });
  // With --json, stdout carries the JSON alone.
  const progress = createProgress("as-of", values.json ? { out: process.stderr } : {});
  const past = openStoreAsOf(values.url ?? databasePathFromEnv(), {
    position: values.position === undefined ? undefined : Number(values.position),
    time: values.time,
    onProgress: progress.onProgress,
  });
  try {
    progress.finish(`as of log position ${past.position} (${past.events} events replayed)`);
    const results = runAsOfQueries(past.queries, values.query);
    if (values.json) console.log(JSON.stringify(results, null, 2));
    else
      for (const [name, rows] of Object.entries(results)) {
        console.log(name);
        console.table(rows);
      }
    return 0;
  } finally {
    past.close();
  }
});
