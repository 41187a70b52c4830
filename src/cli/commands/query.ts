import type { Command } from "commander";
import { z } from "zod";
import type { Queries } from "../../queries/index.js";
import { type Io, intArg, numberArg, openCliStore, printJson, withCommon } from "../common.js";
import { barChart, table } from "../format.js";
import type { Cli } from "../main.js";

const Options = z.object({
  db: z.string().optional(),
  json: z.boolean().optional(),
  minScore: z.number().optional(),
  limit: z.number().int().optional(),
});
type Options = z.output<typeof Options>;

interface QueryCommand {
  name: string;
  aliases: string[];
  description: string;
  /** --min-score and --limit with their defaults (undefined: the option is not offered). */
  minScore?: number;
  limit?: number | "all";
  run: (q: Queries, o: Options) => Record<string, unknown>[];
  human: (io: Io, rows: Record<string, unknown>[]) => string;
}

const num = (v: unknown): number => (typeof v === "number" ? v : 0);

/** The five documented queries: the human output shows the columns people scan; --json has every column. */
const QUERIES: QueryCommand[] = [
  {
    name: "recent-high-quality-images",
    aliases: ["recent", "recentHighQualityImages"],
    description: "curated images scoring at least --min-score, newest first",
    minScore: 7.0,
    limit: 10,
    run: (q, o) => q.recentHighQualityImages({ minScore: o.minScore, limit: o.limit }),
    human: (io, rows) => table(io, rows, ["id", "filename", "finalScore", "isFeatured", "modelId", "createdAt"]),
  },
  {
    name: "uncurated-images",
    aliases: ["uncurated", "uncuratedImages"],
    description: "images still pending curation, oldest first",
    limit: 100,
    run: (q, o) => q.uncuratedImages({ limit: o.limit }),
    human: (io, rows) => table(io, rows),
  },
  {
    name: "quality-distribution",
    aliases: ["quality", "qualityDistribution"],
    description: "curated images per quality tier (Excellent >= 8, Good >= 6, Fair >= 4, else Poor), with a bar chart",
    run: (q) => q.qualityDistribution(),
    human: (io, rows) =>
      table(io, rows) +
      "\n" +
      barChart(
        io,
        rows.map((r) => ({
          label: String(r.qualityTier),
          value: num(r.count),
          note: `avg ${num(r.avgScore).toFixed(2)}`,
        })),
      ),
  },
  {
    name: "training-session-statistics",
    aliases: ["training", "trainingSessionStatistics"],
    description: "every training run, newest first, with its duration in hours",
    limit: "all",
    run: (q, o) => q.trainingSessionStatistics({ limit: o.limit }),
    human: (io, rows) => table(io, rows),
  },
  {
    name: "daily-creation-statistics",
    aliases: ["daily", "dailyCreationStatistics"],
    description: "creation batches per UTC day, newest first, with a bar chart of images created and kept",
    limit: "all",
    run: (q, o) => q.dailyCreationStatistics({ limit: o.limit }),
    human: (io, rows) =>
      table(io, rows) +
      "\n" +
      barChart(
        io,
        rows.flatMap((r) => [
          { label: `${String(r.date)} created`, value: num(r.totalCreated) },
          {
            label: `${String(r.date)} kept`,
            value: num(r.totalKept),
            note: r.avgQuality === null ? undefined : `avg quality ${num(r.avgQuality).toFixed(2)}`,
          },
        ]),
      ),
  },
];

export const QUERY_COMMANDS = QUERIES.map((q) => q.name);

/** A query by its long name or an alias (`recent`, `recentHighQualityImages`). */
export const findQuery = (name: string): string | undefined =>
  QUERIES.find((q) => q.name === name || q.aliases.includes(name))?.name;
export const QUERY_ALIASES = QUERIES.map((q) => q.aliases[0] ?? q.name);

/** Print one query's rows: a table (and chart) for people, JSON for scripts. */
export const printQuery = (io: Io, name: string, rows: Record<string, unknown>[], json: boolean): void => {
  const q = QUERIES.find((x) => x.name === name);
  if (!q) throw new Error(`no query ${name}`);
  if (json) printJson(io, rows);
  else io.out(q.human(io, rows));
};

export const runQuery = (queries: Queries, name: string, options: Options = {}): Record<string, unknown>[] => {
  const q = QUERIES.find((x) => x.name === name);
  if (!q) throw new Error(`no query ${name}`);
  return q.run(queries, options);
};

export const registerQuery = (program: Command, { io, action }: Cli): void => {
  const query = program
    .command("query")
    .description(`run one of the five documented queries: ${QUERIES.map((q) => q.aliases[0]).join(", ")}`)
    .addHelpText(
      "after",
      "\nEach query also answers to its long name and to the library's function name (query recentHighQualityImages).",
    );
  for (const q of QUERIES) {
    const cmd = withCommon(query.command(q.name).aliases(q.aliases).description(q.description));
    if (q.minScore !== undefined) cmd.option("--min-score <score>", "lowest final_score", numberArg, q.minScore);
    if (q.limit !== undefined)
      cmd.option(
        "--limit <n>",
        q.limit === "all" ? "at most n rows (default: all)" : "at most n rows",
        intArg(1),
        q.limit === "all" ? undefined : q.limit,
      );
    cmd.action(
      action((raw: unknown) => {
        const opts = Options.parse(raw);
        const store = openCliStore(io, opts.db);
        try {
          printQuery(io, q.name, q.run(store.queries, opts), opts.json === true);
        } finally {
          store.close();
        }
      }),
    );
  }
};
