import { type Command, Option } from "commander";
import type { Io } from "./common.js";
import { TABLE_CHUNK, tableWriter } from "./table.js";

/** How a command prints rows: a table for people, or JSON, JSON lines or CSV for programs. */
export type Format = "table" | "json" | "nl" | "csv";

/** The format flags as commander parses them. */
export interface FormatFlags {
  json?: boolean;
  nl?: boolean;
  jsonl?: boolean;
  csv?: boolean;
  table?: boolean;
}

const FLAGS = ["json", "nl", "jsonl", "csv", "table"] as const;
type Flag = (typeof FLAGS)[number];
const alias = (f: Flag): Flag => (f === "jsonl" ? "nl" : f);
/** The flags that cannot go with this one: every other format (--nl and --jsonl are one). */
const others = (flag: Flag): Flag[] => FLAGS.filter((f) => alias(f) !== alias(flag));

/**
 * Add the output formats of a command that prints rows (sqlite-utils' flags): --json, --nl
 * (or --jsonl), --csv and --table, one at a time.
 * @example withFormats(program.command("events"), "JSON lines when piped, a table on a terminal")
 */
export const withFormats = (cmd: Command, defaultNote: string): Command =>
  cmd
    .addOption(new Option("--json", "one JSON array of objects, streamed").conflicts(others("json")))
    .addOption(new Option("--nl", "newline-delimited JSON: one object per line").conflicts(others("nl")))
    .addOption(new Option("--jsonl", "the same as --nl").conflicts(others("jsonl")).hideHelp())
    .addOption(
      new Option("--csv", "CSV with a header row (RFC 4180; JSON columns as JSON text)").conflicts(others("csv")),
    )
    .addOption(new Option("--table", `an aligned table (${defaultNote})`).conflicts(others("table")));

/** The format the flags ask for, else the command's default. */
export const formatOf = (flags: FormatFlags, fallback: Format): Format =>
  flags.json ? "json" : flags.nl || flags.jsonl ? "nl" : flags.csv ? "csv" : flags.table ? "table" : fallback;

/** Bytes gathered before one write to stdout: few system calls, little held. */
const PIECE = 64 * 1024;

/**
 * A long output written in pieces of about 64 KiB, each one waiting until the reader
 * has taken the one before (backpressure). `write` resolves false once the reader has
 * gone (a closed pipe): the producer should stop reading.
 * @example const out = createOutput(io); for (const line of lines) if (!(await out.write(line))) break; await out.end();
 */
export const createOutput = (io: Io) => {
  let pending = "";
  let open = true;
  const flush = async (): Promise<boolean> => {
    if (open && pending !== "") {
      const text = pending;
      pending = "";
      open = await io.write(text);
    }
    return open;
  };
  return {
    write: (text: string): boolean | Promise<boolean> => {
      if (!open) return false;
      pending += text;
      return pending.length >= PIECE ? flush() : true;
    },
    end: flush,
  };
};

/** A CSV field (RFC 4180): quoted when it holds a comma, a quote or a line break; JSON values as JSON text. */
export const csvField = (value: unknown): string => {
  if (value === null || value === undefined) return "";
  const text = typeof value === "string" ? value : typeof value === "object" ? JSON.stringify(value) : String(value);
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
};
const csvRecord = (fields: readonly unknown[]): string => `${fields.map(csvField).join(",")}\r\n`;

/** JSON.stringify(row, null, 2) as an element of a pretty-printed array: the same text as printing the whole array. */
const arrayElement = (row: unknown): string => `  ${JSON.stringify(row, null, 2).replaceAll("\n", "\n  ")}`;

export interface WriteRowsOptions {
  /** The columns of an empty result, for the CSV header (rows name their own: the first row's keys). */
  columns: readonly string[];
  /** The columns people scan, for the table (default: every column). */
  tableColumns?: readonly string[];
}

/**
 * Print rows in a format, streamed: one row at a time for JSON, JSON lines and CSV, chunks of
 * TABLE_CHUNK rows for tables, with backpressure throughout. Stops reading `rows` (and returns
 * false) as soon as the reader of stdout has gone.
 * @example await writeRows(io, "csv", queryEvents(store.db), { columns: ["position", "type"] })
 */
export const writeRows = async (
  io: Io,
  format: Format,
  rows: Iterable<Record<string, unknown>>,
  { columns, tableColumns }: WriteRowsOptions,
): Promise<boolean> => {
  const out = createOutput(io);
  if (format === "table") {
    const table = tableWriter(io, tableColumns);
    let chunk: Record<string, unknown>[] = [];
    for (const row of rows) {
      chunk.push(row);
      if (chunk.length < TABLE_CHUNK) continue;
      if (!(await out.write(table.chunk(chunk)))) return false;
      chunk = [];
    }
    return (await out.write(table.chunk(chunk) + table.end())) && out.end();
  }
  let header: readonly string[] | undefined;
  for (const row of rows) {
    const keys = header ?? Object.keys(row);
    let text: string;
    if (format === "json") text = `${header ? ",\n" : "[\n"}${arrayElement(row)}`;
    else if (format === "nl") text = `${JSON.stringify(row)}\n`;
    else text = (header ? "" : csvRecord(keys)) + csvRecord(keys.map((k) => row[k]));
    header = keys;
    if (!(await out.write(text))) return false;
  }
  const tail = format === "json" ? (header ? "\n]\n" : "[]\n") : format === "csv" && !header ? csvRecord(columns) : "";
  return (await out.write(tail)) && out.end();
};
