import { join } from "node:path";
import pc from "picocolors";
import { describe, expect, it } from "vitest";
import type { Io } from "../../src/cli/common.js";
import { runCli } from "../../src/cli/main.js";
import { tempDir } from "../support.js";
import { cli, json, jsonLines } from "./run.js";

/** The command line in this process, stdout a terminal or not. */
const inProcess = async (args: readonly string[], { tty = false } = {}) => {
  let stdout = "";
  let stderr = "";
  const io: Io = {
    out: (t) => {
      stdout += t;
    },
    write: async (t) => {
      stdout += t;
      return true;
    },
    err: (t) => {
      stderr += t;
    },
    tty,
    errTty: false,
    color: pc.createColors(false),
    errColor: pc.createColors(false),
  };
  const code = await runCli(["node", "artist-store", ...args], io);
  return { code, stdout, stderr };
};

/** RFC 4180 records: quoted fields may hold commas, doubled quotes and line breaks; records end with CRLF. */
const parseCsv = (text: string): string[][] => {
  const records: string[][] = [];
  let record: string[] = [];
  let field = "";
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (quoted) {
      if (ch !== '"') field += ch;
      else if (text[i + 1] === '"') field += text[++i];
      else quoted = false;
    } else if (ch === '"' && field === "") quoted = true;
    else if (ch === ",") {
      record.push(field);
      field = "";
    } else if (ch === "\r" && text[i + 1] === "\n") {
      record.push(field);
      records.push(record);
      record = [];
      field = "";
      i++;
    } else if (ch === "\n" || ch === "\r" || ch === '"') throw new Error(`bare ${JSON.stringify(ch)} at ${i}`);
    else field += ch;
  }
  if (quoted || field !== "" || record.length > 0) throw new Error("the last record does not end with CRLF");
  return records;
};

/** A JSON row as its CSV record: null empty, objects as JSON text, the rest as text. */
const asCsv = (row: Record<string, unknown>): string[] =>
  Object.values(row).map((v) =>
    v === null || v === undefined ? "" : typeof v === "object" ? JSON.stringify(v) : String(v),
  );

const demo = () => {
  const db = join(tempDir(), "formats.db");
  expect(cli(["demo", "--db", db, "--json"]).code).toBe(0);
  return db;
};

const QUERIES = [["recent", "--limit", "20"], ["uncurated", "--limit", "5"], ["quality"], ["training"], ["daily"]];

describe("output formats of query and events (sqlite-utils' flags)", () => {
  it("prints each documented query as --json, --nl, --jsonl and --csv: the same rows, every column", async () => {
    const db = demo();
    for (const query of QUERIES) {
      const run = async (format: string) => {
        const r = await inProcess(["query", ...query, "--db", db, format]);
        expect(r, `${query.join(" ")} ${format}`).toMatchObject({ code: 0, stderr: "" });
        return r.stdout;
      };
      const rows = JSON.parse(await run("--json")) as Record<string, unknown>[];
      expect(rows.length, query.join(" ")).toBeGreaterThan(0);
      expect(jsonLines(await run("--nl"))).toEqual(rows);
      expect(jsonLines(await run("--jsonl"))).toEqual(rows);
      const [header, ...records] = parseCsv(await run("--csv"));
      expect(header).toEqual(Object.keys(rows[0] ?? {}));
      expect(records).toEqual(rows.map(asCsv));
    }
  });

  it("streams --json as the same text as one pretty-printed array", async () => {
    const db = demo();
    const r = await inProcess(["query", "recent", "--db", db, "--limit", "3", "--json"]);
    expect(r.stdout).toBe(`${JSON.stringify(JSON.parse(r.stdout), null, 2)}\n`);
  });

  it("quotes CSV fields as RFC 4180 does and writes JSON columns as JSON text", async () => {
    const db = join(tempDir(), "csv.db");
    const prompt = 'a "quoted", two-line\nprompt';
    const input = JSON.stringify({
      type: "ImageGenerated",
      data: { filename: "q,1.png", prompt, modelId: "sdxl", tags: ["a,b", 'c"d'], generationParams: { steps: 30 } },
    });
    expect(cli(["migrate", "--db", db]).code).toBe(0);
    expect(cli(["emit", "--db", db], { input }).code).toBe(0);
    const uncurated = await inProcess(["query", "uncurated", "--db", db, "--csv"]);
    expect(uncurated.stdout).toBe(`id,filename,prompt\r\n1,"q,1.png","a ""quoted"", two-line\nprompt"\r\n`);
    const events = await inProcess(["events", "--db", db, "--csv"]);
    const [header, record] = parseCsv(events.stdout);
    expect(header).toEqual([
      "position",
      "eventId",
      "streamId",
      "streamVersion",
      "type",
      "schemaVersion",
      "data",
      "metadata",
      "occurredAt",
      "recordedAt",
    ]);
    const data = JSON.parse(record?.[6] ?? "");
    expect(data).toMatchObject({ filename: "q,1.png", prompt, tags: ["a,b", 'c"d'], generationParams: { steps: 30 } });
    expect(record?.slice(0, 6)).toEqual(["1", expect.any(String), "image:q,1.png", "1", "ImageGenerated", "1"]);
    expect(record?.[7]).toBe("{}");
  });

  it("prints events as JSON lines when piped, a table on a terminal, and --json, --csv, --table on request", async () => {
    const db = demo();
    const piped = cli(["events", "--db", db, "--limit", "5"]);
    expect(piped.code).toBe(0);
    const lines = jsonLines(piped.stdout) as { position: number }[];
    expect(lines.map((e) => e.position)).toEqual([1, 2, 3, 4, 5]);
    expect(json(cli(["events", "--db", db, "--limit", "5", "--json"]))).toEqual(lines);
    expect(jsonLines(cli(["events", "--db", db, "--limit", "5", "--jsonl"]).stdout)).toEqual(lines);
    const table = cli(["events", "--db", db, "--limit", "5", "--table"]).stdout;
    expect(table.split("\n")[1]).toMatch(/│ position │ type +│ streamId +│ streamVersion │ occurredAt +│ data +│/);
    expect(table.trim().split("\n")).toHaveLength(5 + 3);
    const terminal = await inProcess(["events", "--db", db, "--limit", "5"], { tty: true });
    expect(terminal.stdout).toBe(table);
    const nlOnTerminal = await inProcess(["events", "--db", db, "--limit", "5", "--nl"], { tty: true });
    expect(jsonLines(nlOnTerminal.stdout)).toEqual(lines);
  });

  it("prints an empty result as [] with --json, a header with --csv, nothing with --nl, and (no rows) as a table", async () => {
    const db = join(tempDir(), "empty.db");
    expect(cli(["migrate", "--db", db]).code).toBe(0);
    const out = async (...args: string[]) => (await inProcess(["--db", db, ...args])).stdout;
    expect(await out("query", "recent", "--json")).toBe("[]\n");
    expect(await out("query", "recent", "--nl")).toBe("");
    expect(await out("query", "training", "--csv")).toBe("name,datasetSize,finalLoss,trainingHours,status\r\n");
    expect(await out("query", "recent")).toBe("(no rows)\n");
    expect(await out("events", "--json")).toBe("[]\n");
    expect((await out("events", "--csv")).split("\r\n")[0]).toBe(
      "position,eventId,streamId,streamVersion,type,schemaVersion,data,metadata,occurredAt,recordedAt",
    );
    expect(await out("events")).toBe("");
  });

  it("renders a table with wide and combining characters aligned, line breaks shown as \\n", async () => {
    const db = join(tempDir(), "wide.db");
    expect(cli(["migrate", "--db", db]).code).toBe(0);
    const input = [
      ["富士山の夕焼け.png", "line one\nline two"],
      ["x.png", "cafe\u0301 au lait"],
      ["y.png", "plain"],
    ]
      .map(([filename, prompt]) => JSON.stringify({ type: "ImageGenerated", data: { filename, prompt, modelId: "m" } }))
      .join("\n");
    expect(cli(["emit", "--db", db], { input }).code).toBe(0);
    const { stdout } = await inProcess(["query", "uncurated", "--db", db]);
    const rows = stdout.trimEnd().split("\n");
    expect(rows).toHaveLength(6);
    expect(rows[2]).toContain("line one\\nline two");
    // Every line of the box is as wide on a terminal: 富 and its kin take two columns, the accent none.
    const columns = (s: string) =>
      [...s].reduce((n, ch) => n + (/\p{Mn}/u.test(ch) ? 0 : /[\u3000-\u9fff]/u.test(ch) ? 2 : 1), 0);
    expect(new Set(rows.map(columns)).size).toBe(1);
  });
});

describe("options refused with one line (exit 2)", () => {
  it.each([
    [["query", "recent", "--min-score", "11"], /--min-score <score>.*expected a score from 0 to 10, got 11/],
    [["query", "recent", "--min-score", "-0.5"], /expected a score from 0 to 10, got -0.5/],
    [["query", "recent", "--limit", "0"], /--limit <n>.*expected an integer >= 1, got 0/],
    [["query", "recent", "--json", "--csv"], /option '--(json|csv)' cannot be used with option '--(json|csv)'/],
    [["events", "--nl", "--table"], /option '--(nl|table)' cannot be used with option '--(nl|table)'/],
    [["events", "--to", "0"], /--to <position>.*expected an integer >= 1, got 0/],
    [["events", "--since", "2026-01-09", "--until", "2026-01-08"], /--until .* is not after --since/],
    [["emit", "--batch-size", "10001", "x.jsonl"], /--batch-size <n>.*expected an integer from 1 to 10000, got 10001/],
    [["demo", "--seed", "-1"], /--seed <n>.*expected an integer >= 0, got -1/],
    [["demo", "--day", "2026-1-8"], /--day <date>.*expected a day YYYY-MM-DD, got "2026-1-8"/],
    [["doctor", "--max-consumer-lag", "-1"], /--max-consumer-lag <events>.*expected an integer >= 0, got -1/],
    [["verify", "--max-findings", "0"], /--max-findings <n>.*expected an integer >= 1, got 0/],
    [["follow", "--consumer", "c", "--window", "0"], /--window <n>.*expected an integer >= 1, got 0/],
    [["as-of", "--position", "-1"], /--position <n>.*expected an integer >= 0, got -1/],
    [["as-of", "--time", "yesterday"], /--time <time>.*expected an ISO-8601 time/],
    [["events", "--type", "ImageDeleted"], /--type <types>.*unknown event type "ImageDeleted"/],
    [["serve", "--port", "65536"], /--port 65536: at most 65535/],
  ])("%j", async (args, message) => {
    const r = await inProcess(args);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(r.stderr.trim().split("\n")).toHaveLength(1);
  });
});
