import asciichart from "asciichart";
import { DailyCreationRow } from "../queries/creationSessions.js";
import type { Io } from "./common.js";

/** Up to this many days, `query daily` prints its table: a trend of a few points says less than the rows. */
export const TREND_MIN_DAYS = 8;
/** Columns a chart spans at most: more days than this share a column (their mean). */
const TREND_WIDTH = 60;
/** Lines of each chart, axis labels included. */
const TREND_HEIGHT = 5;

type Day = DailyCreationRow;
interface Metric {
  title: string;
  /** The metric over a group of days (one day, or the days sharing a column); undefined when it has no value. */
  of: (days: readonly Day[]) => number | undefined;
  format: (x: number) => string;
}

const sum = (days: readonly Day[], f: (d: Day) => number) => days.reduce((n, d) => n + f(d), 0);
const mean = (values: readonly number[]) =>
  values.length === 0 ? undefined : values.reduce((a, b) => a + b, 0) / values.length;
const integer = (x: number) => Math.round(x).toLocaleString("en-US").replaceAll(",", " ");

const METRICS: readonly Metric[] = [
  { title: "images created per day", of: (days) => sum(days, (d) => d.totalCreated) / days.length, format: integer },
  { title: "images kept per day", of: (days) => sum(days, (d) => d.totalKept) / days.length, format: integer },
  {
    title: "keep rate (kept / created)",
    of: (days) => {
      const created = sum(days, (d) => d.totalCreated);
      return created === 0 ? undefined : sum(days, (d) => d.totalKept) / created;
    },
    format: (x) => `${(x * 100).toFixed(0)}%`,
  },
  {
    title: "average score",
    of: (days) => mean(days.flatMap((d) => (d.avgQuality === null ? [] : [d.avgQuality]))),
    format: (x) => x.toFixed(2),
  },
];

/** Consecutive groups of days, one per column, oldest first. */
const columnsOf = (days: readonly Day[]): Day[][] => {
  const per = Math.ceil(days.length / TREND_WIDTH);
  const columns: Day[][] = [];
  for (let i = 0; i < days.length; i += per) columns.push(days.slice(i, i + per));
  return columns;
};

/** A gap (a group without a value: no batch was scored) takes its neighbour's value: the chart draws a line, not NaN. */
const filled = (values: readonly (number | undefined)[]): number[] | undefined => {
  const first = values.find((v) => v !== undefined);
  if (first === undefined) return undefined;
  let last = first;
  return values.map((v) => {
    last = v ?? last;
    return last;
  });
};

/**
 * `query daily` over many days, for people: one small line chart per metric (images created and kept per day, the
 * keep rate, the average score), oldest day on the left; `--table` prints every day.
 * @example io.out(dailyTrend(io, store.queries.dailyCreationStatistics()))
 */
export const dailyTrend = (io: Io, rows: readonly Record<string, unknown>[]): string => {
  const days = DailyCreationRow.array()
    .parse(rows)
    .sort((a, b) => a.date.localeCompare(b.date));
  const first = days[0]?.date ?? "";
  const last = days.at(-1)?.date ?? "";
  const columns = columnsOf(days);
  const per = columns[0]?.length ?? 1;
  const c = io.color;
  const lines = [
    `${days.length} days, ${first} to ${last}${per > 1 ? `, ${per} days a column` : ""} ` +
      c.dim("(--table: every day)"),
  ];
  for (const metric of METRICS) {
    const values = columns.map((days) => metric.of(days));
    const series = filled(values);
    const latest = values.findLast((v) => v !== undefined);
    lines.push("", `${c.bold(metric.title)}${latest === undefined ? "" : c.dim(`  latest ${metric.format(latest)}`)}`);
    if (!series) {
      lines.push(c.dim("(no value on any day)"));
      continue;
    }
    const labels = series.map(metric.format);
    const width = Math.max(...labels.map((l) => l.length), 4) + 1;
    lines.push(
      asciichart.plot(series, {
        height: TREND_HEIGHT - 1,
        format: (x) => metric.format(x).padStart(width),
        colors: io.tty ? [asciichart.cyan] : undefined,
      }),
    );
  }
  return `${lines.join("\n")}\n`;
};
