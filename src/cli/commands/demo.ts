import { dirname, join, resolve } from "node:path";
import { type Command, InvalidArgumentError } from "commander";
import { z } from "zod";
import { pipelineDay } from "../../demo/pipelineDay.js";
import { writePlaceholderImages } from "../../demo/placeholderImages.js";
import { exportTrainingSet } from "../../demo/trainingSetExporter.js";
import { QUERY_NAMES } from "../../queries/index.js";
import { auditProjections, formatAuditReport } from "../../replay/auditProjections.js";
import { defaultImagesDir } from "../../serve/imageFiles.js";
import { type Cli, EXIT, intArg, openCliStore, printJson, timeArg, withCommon } from "../common.js";
import { heading } from "../format.js";
import { printQuery, runQueries } from "./query.js";

const Options = z.object({
  db: z.string().optional(),
  json: z.boolean().optional(),
  seed: z.number().int(),
  day: z.string(),
  manifest: z.string().optional(),
  imagesDir: z.string().optional(),
});

/** A calendar day: YYYY-MM-DD, a real date (2026-13-01 and "tomorrow" are refused by the option parser). */
const dayArg = (value: string): string => {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(value)) throw new InvalidArgumentError(`expected a day YYYY-MM-DD, got "${value}"`);
  return timeArg(value).slice(0, 10);
};

const TITLES: Record<string, string> = {
  "recent-high-quality-images": "Recent high-quality images (curated, final_score >= 7.0)",
  "uncurated-images": "Uncurated images for processing (the first 10)",
  "quality-distribution": "Quality distribution",
  "training-session-statistics": "Training session statistics",
  "daily-creation-statistics": "Daily creation statistics",
};

export const registerDemo = (program: Command, { io, action }: Cli): void => {
  withCommon(
    program
      .command("demo")
      .description(
        "migrate the database, play a realistic pipeline day into it, print the five documented queries and the audit verdict",
      )
      .option("--seed <n>", "the day's random seed (same seed, same events)", intArg(0), 42)
      .option("--day <date>", "the UTC day the pipeline runs (YYYY-MM-DD)", dayArg, "2026-01-08")
      .option(
        "--manifest <file>",
        "the training-set exporter's manifest (default: training-set.jsonl beside the database)",
      )
      .option(
        "--images-dir <dir>",
        "where to write placeholder images for the dashboard (default: images/ beside the database)",
      ),
  )
    .addHelpText(
      "after",
      `
The day: a LoRA training run that completes and one that fails, five themed creation
batches with hundreds of images generated, scored and curated (the best featured), the
last batch still being curated. Event ids derive from the seed and day, so running the
demo twice appends nothing the second time. A consumer, the training-set exporter, then
follows the log and appends each image curated as featured to a JSON-lines manifest; it
resumes from its checkpoint, so a second run exports nothing new. A small placeholder PNG per image goes into
--images-dir (files already there are kept), for \`artist-store serve\` to show.`,
    )
    .action(
      action(async (raw: unknown) => {
        const opts = Options.parse(raw);
        const day = opts.day;
        const store = openCliStore(io, opts.db, { migrate: true });
        try {
          const dayEvents = pipelineDay({ seed: opts.seed, day });
          const appended = store.append(dayEvents);
          const imagesDir = resolve(opts.imagesDir ?? defaultImagesDir(store.path));
          const images = { dir: imagesDir, written: writePlaceholderImages(imagesDir, dayEvents) };
          const fresh = appended.filter((e) => !e.duplicate).length;
          const queries = runQueries(store.queries, QUERY_NAMES, { uncuratedImages: { limit: 10 } });
          // The proof that the tables are what the log says: replay it aside and compare.
          const audit = auditProjections(store);
          const code = audit.ok ? EXIT.ok : EXIT.failure;
          const manifest = opts.manifest ? resolve(opts.manifest) : join(dirname(store.path), "training-set.jsonl");
          const exporter = await exportTrainingSet(store, manifest);
          const { consumer, exported, position: exportedThrough } = exporter;
          if (opts.json) {
            const { ok, position, events } = audit;
            printJson(io, {
              path: store.path,
              seed: opts.seed,
              day,
              appended: fresh,
              duplicates: appended.length - fresh,
              head: store.headPosition(),
              images,
              queries,
              audit: { ok, position, events },
              exporter: { consumer, manifest, exported, position: exportedThrough },
            });
            return code;
          }
          const head = store.headPosition();
          io.out(
            `${store.path}: ${io.color.green(`${fresh} new events`)} appended, ` +
              `${appended.length - fresh} already there (log head at ${head}); ` +
              `${images.written} placeholder images written to ${images.dir}\n\n`,
          );
          for (const [name, rows] of Object.entries(queries)) {
            io.out(heading(io, TITLES[name] ?? name));
            printQuery(io, name, rows);
            io.out("\n");
          }
          io.out(heading(io, "Audit: the tables against a replay of the log"));
          const verdict = formatAuditReport(audit, store.path);
          io.out(`${audit.ok ? io.color.green(verdict) : io.color.red(verdict)}\n\n`);
          io.out(heading(io, `Training-set exporter (consumer ${consumer})`));
          for (const line of exported) io.out(`  ${line.filename}  ${line.finalScore ?? "—"}  ${line.prompt ?? ""}\n`);
          io.out(
            `${exported.length} featured image(s) exported to ${manifest}` +
              `${exported.length === 0 ? " (nothing new since its checkpoint)" : ""}; checkpoint at ${exportedThrough}\n`,
          );
          return code;
        } finally {
          store.close();
        }
      }),
    );
};
