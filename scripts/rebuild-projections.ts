// Derive the projection tables again from the log: `npm run rebuild [-- --only generated_images]`.
import { parseArgs } from "node:util";
import { createProgress, describeRebuild } from "../src/cli/progress.js";
import { runScript } from "../src/cli/runScript.js";
import { openStore } from "../src/index.js";
import { rebuildProjections } from "../src/replay/rebuildProjections.js";
import { parseProjectionNames } from "../src/replay/tables.js";

runScript(() => {
  const { values } = parseArgs({ options: { url: { type: "string" }, only: { type: "string" } } });
  const only = values.only ? parseProjectionNames(values.only.split(",")) : undefined;
  const store = openStore({ url: values.url, stale: "ignore" });
  try {
    const progress = createProgress("rebuild");
    progress.finish(describeRebuild(rebuildProjections(store, { only, onProgress: progress.onProgress })));
    return 0;
  } finally {
    store.close();
  }
});
