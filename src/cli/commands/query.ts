import type { Command } from "commander";
import { z } from "zod";
import { QUERY_ALIASES, type QueryByNameOptions, type QueryName, runQueryByName } from "../../queries/byName.js";
import type { Queries } from "../../queries/index.js";
import { type Cli, EXIT, type Io, intArg, numberArg, openCliStore, printJson, withCommon } from "../common.js";
import { barChart, table } from "../format.js";

const Options = z.object({
  db: z.string().optional(),
  json: z.boolean().optional(),
  minScore: z.number().optional(),
  limit: z.number().int().optional(),
});

interface QueryCommand {
  query: QueryName;
  description: string;
  /** --min-score and --limit with their defaults (undefined: the option is not offered). */
  minScore?: number;
  limit?: number | "all";
  human: (io: Io, rows: Record<string, unknown>[]) => string;
}

const num = (v: unknown): number => (typeof v === "number" ? v : 0);

/** The five documented queries: the human output shows the columns people scan; --json has every column. */
const QUERIES: QueryCommand[] = [
  {
    query: "recentHighQualityImages",
    description: "curated images scoring at least --min-score, newest first",
    minScore: 7.0,
    limit: 10,
    human: (io, rows) => table(io, rows, ["id", "filename", "finalScore", "isFeatured", "modelId", "createdAt"]),
  },
  {
    query: "uncuratedImages",
    description: "images still pending curation, oldest first",
    limit: 100,
    human: (io, rows) => table(io, rows),
  },
  {
    query: "qualityDistribution",
    description: "curated images per quality tier (Excellent >= 8, Good >= 6, Fair >= 4, else Poor), with a bar chart",
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
    query: "trainingSessionStatistics",
    description: "every training run, newest first, with its duration in hours",
    limit: "all",
    human: (io, rows) => table(io, rows),
  },
  {
    query: "dailyCreationStatistics",
    description: "creation batches per UTC day, newest first, with a bar chart of images created and kept",
    limit: "all",
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

/** A query's command name (`recent-high-quality-images`): the key of its rows in demo and as-of output. */
export const commandName = (query: QueryName): string => QUERY_ALIASES[query][0];
/** The short names, for help texts and usage errors. */
export const QUERY_SHORT_NAMES = QUERIES.map((q) => QUERY_ALIASES[q.query][1]);

/** Run these queries, with options per query; their rows keyed by command name, as demo and as-of print them. */
export const runQueries = (
  queries: Queries,
  names: readonly QueryName[],
  options: Partial<Record<QueryName, QueryByNameOptions>> = {},
): Record<string, Record<string, unknown>[]> =>
  Object.fromEntries(names.map((n) => [commandName(n), runQueryByName(queries, n, options[n])]));

/** Print one query's rows (keyed by its command name): a table (and chart) for people. */
export const printQuery = (io: Io, name: string, rows: Record<string, unknown>[]): void => {
  const q = QUERIES.find((x) => commandName(x.query) === name);
  if (!q) throw new Error(`no query ${name}`);
  io.out(q.human(io, rows));
};

export const registerQuery = (program: Command, { io, action }: Cli): void => {
  const query = program
    .command("query")
    .description(`run one of the five documented queries: ${QUERY_SHORT_NAMES.join(", ")}`)
    .addHelpText(
      "after",
      "\nEach query also answers to its long name and to the library's function name (query recentHighQualityImages).",
    );
  for (const q of QUERIES) {
    const [long, short] = QUERY_ALIASES[q.query];
    const cmd = withCommon(query.command(long).aliases([short, q.query]).description(q.description));
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
          const rows = runQueryByName(store.queries, q.query, opts);
          if (opts.json) printJson(io, rows);
          else io.out(q.human(io, rows));
          return EXIT.ok;
        } finally {
          store.close();
        }
      }),
    );
  }
};
