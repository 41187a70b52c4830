import type { Command } from "commander";
import { z } from "zod";
import { optimizeDatabase } from "../../maintenance/optimize.js";
import { type Cli, EXIT, printJson, resolveDb, withCommon } from "../common.js";

const Options = z.object({ db: z.string().optional(), json: z.boolean().optional() });

export const registerOptimize = (program: Command, { io, action }: Cli): void => {
  withCommon(
    program
      .command("optimize")
      .description("refresh the query planner's statistics (PRAGMA optimize, ANALYZE where needed); doctor's fix"),
  )
    .addHelpText(
      "after",
      `
Analyzes the tables that have rows and an index without statistics, or whose size changed
tenfold since they were analyzed, examining at most 2000 rows per index. A store does this by
itself as it closes and after migrate and rebuild; run it on a database written before.
Exit code 1 if a table with rows is still without statistics.`,
    )
    .action(
      action((raw: unknown) => {
        const opts = Options.parse(raw);
        const r = optimizeDatabase(resolveDb(opts.db));
        const code = r.missing.length ? EXIT.failure : EXIT.ok;
        if (opts.json) {
          printJson(io, r);
          return code;
        }
        io.out(
          `${r.path}: ${r.analyzed.length ? `analyzed ${r.analyzed.join(", ")}` : "statistics already current"} ` +
            `(${Math.round(r.durationMs)} ms)\n`,
        );
        for (const m of r.missing) io.out(`still without statistics: ${m.table} (${m.indexes.join(", ")})\n`);
        return code;
      }),
    );
};
