import { type Command, InvalidArgumentError } from "commander";
import { z } from "zod";
import { queryEvents } from "../../events/queryEvents.js";
import { EVENT_FIELDS } from "../../events/readEvents.js";
import { EVENT_TYPES, isEventType } from "../../events/schemas.js";
import { type Cli, EXIT, forOnePass, intArg, openCliStore, timeArg, UsageError, withCommon } from "../common.js";
import { formatOf, withFormats, writeRows } from "../output.js";
import { eventsOnPostgres, postgresTarget } from "../postgres.js";

const Options = z.object({
  db: z.string().optional(),
  stream: z.string().optional(),
  type: z.array(z.string()).optional(),
  from: z.number().int().optional(),
  to: z.number().int().optional(),
  since: z.string().optional(),
  until: z.string().optional(),
  limit: z.number().int().optional(),
  json: z.boolean().optional(),
  nl: z.boolean().optional(),
  jsonl: z.boolean().optional(),
  csv: z.boolean().optional(),
  table: z.boolean().optional(),
});

/** What a table shows of each event. */
const TABLE_FIELDS = ["position", "type", "streamId", "streamVersion", "occurredAt", "data"];

const collectTypes = (value: string, previous: string[] = []): string[] => {
  const types = value
    .split(",")
    .map((t) => t.trim())
    .filter(Boolean);
  const unknown = types.find((t) => !isEventType(t));
  if (unknown !== undefined)
    throw new InvalidArgumentError(`unknown event type "${unknown}" (known: ${EVENT_TYPES.join(", ")})`);
  return [...previous, ...types];
};

export const registerEvents = (program: Command, { io, action }: Cli): void => {
  withFormats(
    withCommon(
      program
        .command("events")
        .description("print the event log, filtered by stream, type, position range and time range")
        .option("--stream <id>", "one stream: image:<filename>, training:<runId> or batch:<batchId>")
        .option("--type <types>", "event type(s), comma-separated or repeated", collectTypes)
        .option("--from <position>", "first position, inclusive", intArg(1))
        .option("--to <position>", "last position, inclusive", intArg(1))
        .option("--since <time>", "occurredAt at or after this ISO time (or date)", timeArg)
        .option("--until <time>", "occurredAt before this ISO time (or date)", timeArg)
        .option("--limit <n>", "at most n events", intArg(0)),
      { json: false },
    ),
    "the default on a terminal; piped, JSON lines are",
  )
    .addHelpText(
      "after",
      `
Events come in position order. Piped, the default is JSON lines, one stored event per line:
{"position":1,"eventId":"...","streamId":"image:a.png","streamVersion":1,"type":"ImageGenerated",
 "schemaVersion":1,"data":{...},"metadata":{...},"occurredAt":"...","recordedAt":"..."}
which \`emit\` takes back: \`events --nl > log.jsonl\` then \`emit log.jsonl --db other.db\` copies a
log (eventId keeps it idempotent; position and recordedAt are the new store's).
On a terminal the default is a table; --json, --nl (--jsonl), --csv and --table choose.
Output is streamed: a slow reader slows the reading of the log, and a reader that
goes away (\`events | head\`) stops it.

Examples:
  $ artist-store events --stream image:20260108_120000_sunset_42.png
  $ artist-store events --type ImageCurated,ImageGenerated --since 2026-01-08 --until 2026-01-09
  $ artist-store events --from 100 --to 200 | jq .type
  $ artist-store events --type ImageCurated --csv > curations.csv`,
    )
    .action(
      action(async (raw: unknown) => {
        const opts = Options.parse(raw);
        if (opts.from !== undefined && opts.to !== undefined && opts.to < opts.from)
          throw new UsageError(`--to ${opts.to} is before --from ${opts.from}`);
        if (opts.since !== undefined && opts.until !== undefined && opts.until <= opts.since)
          throw new UsageError(`--until ${opts.until} is not after --since ${opts.since}`);
        const format = formatOf(opts, io.tty ? "table" : "nl");
        const filter = {
          streamId: opts.stream,
          types: opts.type,
          after: opts.from === undefined ? undefined : opts.from - 1,
          to: opts.to,
          since: opts.since,
          until: opts.until,
          limit: opts.limit,
        };
        const pg = postgresTarget(opts.db);
        if (pg) {
          const events = await eventsOnPostgres(pg, filter);
          await writeRows(io, format, events, { columns: EVENT_FIELDS, tableColumns: TABLE_FIELDS });
          return EXIT.ok;
        }
        const store = forOnePass(openCliStore(io, opts.db));
        try {
          const events = queryEvents(store.db, filter);
          await writeRows(io, format, events, { columns: EVENT_FIELDS, tableColumns: TABLE_FIELDS });
          return EXIT.ok;
        } finally {
          store.close();
        }
      }),
    );
};
