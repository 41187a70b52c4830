import { type Command, InvalidArgumentError } from "commander";
import { z } from "zod";
import {
  iterateQueryByName,
  QUERY_ALIASES,
  type QueryByNameOptions,
  type QueryName,
  queryColumns,
  runQueryByName,
} from "../../queries/byName.js";
import type { Queries } from "../../queries/index.js";
import { type Cli, EXIT, forOnePass, type Io, intArg, numberArg, openCliStore, withCommon } from "../common.js";
import { barChart, table } from "../format.js";
import { formatOf, withFormats, writeRows } from "../output.js";
import { postgresTarget, queryOnPostgres } from "../postgres.js";
import { dailyTrend, TREND_MIN_DAYS } from "../trend.js";

const Options = z.object({
  db: z.string().optional(),
  json: z.boolean().optional(),
  minScore: z.number().optional(),
  limit: z.number().int().optional(),
  nl: z.boolean().optional(),
  jsonl: z.boolean().optional(),
  csv: z.boolean().optional(),
  table: z.boolean().optional(),
});

interface QueryCommand {
  query: QueryName;
  description: string;
  /** --min-score and --limit with their defaults (undefined: the option is not offered). */
  minScore?: number;
  limit?: number | "all";
  /** The columns of the table people scan (default: every column); --json, --nl and --csv have them all. */
  tableColumns?: readonly string[];
  /** A chart under the table, for the queries whose rows are few by nature (tiers, days). */
  chart?: (io: Io, rows: Record<string, unknown>[]) => string;
  /** What people see instead of the table when the rows are many (unless --table asks for it). */
  compact?: { from: number; print: (io: Io, rows: Record<string, unknown>[]) => string };
}

const num = (v: unknown): number => (typeof v === "number" ? v : 0);

/** The five documented queries: the human output shows the columns people scan; --json has every column. */
const QUERIES: QueryCommand[] = [
  {
    query: "recentHighQualityImages",
    description: "curated images scoring at least --min-score, newest first",
    minScore: 7.0,
    limit: 10,
    tableColumns: ["id", "filename", "finalScore", "isFeatured", "modelId", "createdAt"],
  },
  {
    query: "uncuratedImages",
    description: "images still pending curation, oldest first",
    limit: 100,
  },
  {
    query: "qualityDistribution",
    description: "curated images per quality tier (Excellent >= 8, Good >= 6, Fair >= 4, else Poor), with a bar chart",
    chart: (io, rows) =>
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
  },
  {
    query: "dailyCreationStatistics",
    description: `creation batches per UTC day, newest first, with a bar chart of images created and kept; from ${TREND_MIN_DAYS} days on, a trend chart per metric (--table: every day)`,
    limit: "all",
    compact: { from: TREND_MIN_DAYS, print: dailyTrend },
    chart: (io, rows) =>
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

/** A query's rows for people: a table of the columns they scan, and its chart if it has one. */
const human = (io: Io, q: QueryCommand, rows: Record<string, unknown>[]): string =>
  table(io, rows, q.tableColumns) + (q.chart ? `\n${q.chart(io, rows)}` : "");

/** Print one query's rows (keyed by its command name): a table (and chart) for people. */
export const printQuery = (io: Io, name: string, rows: Record<string, unknown>[]): void => {
  const q = QUERIES.find((x) => commandName(x.query) === name);
  if (!q) throw new Error(`no query ${name}`);
  io.out(human(io, q, rows));
};

/** --min-score: a final score, 0 to 10 as the events define it. */
const scoreArg = (value: string): number => {
  const n = numberArg(value);
  if (n < 0 || n > 10) throw new InvalidArgumentError(`expected a score from 0 to 10, got ${value}`);
  return n;
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
    const cmd = withFormats(
      withCommon(query.command(long).aliases([short, q.query]).description(q.description), { json: false }),
      "the default",
    );
    if (q.minScore !== undefined)
      cmd.option("--min-score <score>", "lowest final_score, 0 to 10", scoreArg, q.minScore);
    if (q.limit !== undefined)
      cmd.option(
        "--limit <n>",
        q.limit === "all" ? "at most n rows (default: all)" : "at most n rows",
        intArg(1),
        q.limit === "all" ? undefined : q.limit,
      );
    cmd.action(
      action(async (raw: unknown) => {
        const opts = Options.parse(raw);
        const format = formatOf(opts, "table");
        const pg = postgresTarget(opts.db);
        if (pg) {
          const rows = await queryOnPostgres(pg, q.query, opts);
          if (format === "table" && q.chart) io.out(human(io, q, rows));
          else await writeRows(io, format, rows, { columns: queryColumns(q.query), tableColumns: q.tableColumns });
          return EXIT.ok;
        }
        const store = forOnePass(openCliStore(io, opts.db));
        try {
          if (format === "table" && (q.chart || q.compact)) {
            const rows = runQueryByName(store.queries, q.query, opts);
            // Many rows: a compact view by default, and with --table every row (without a chart as long as they are).
            const many = q.compact !== undefined && rows.length >= q.compact.from;
            io.out(
              !many
                ? human(io, q, rows)
                : opts.table
                  ? table(io, rows, q.tableColumns)
                  : (q.compact?.print(io, rows) ?? ""),
            );
          } else
            await writeRows(io, format, iterateQueryByName(store.db, q.query, opts), {
              columns: queryColumns(q.query),
              tableColumns: q.tableColumns,
            });
          return EXIT.ok;
        } finally {
          store.close();
        }
      }),
    );
  }
};
