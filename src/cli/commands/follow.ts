import { once } from "node:events";
import { createInterface } from "node:readline";
import { type Command, InvalidArgumentError, Option } from "commander";
import { z } from "zod";
import { createCheckpoints, defaultHolder } from "../../consumers/checkpoints.js";
import { followConsumer } from "../../consumers/follow.js";
import { StoreError } from "../../db/errors.js";
import { EVENT_TYPES, type EventType, isEventType } from "../../events/schemas.js";
import { type Cli, EXIT, intArg, openCliStore, UsageError, withCommon } from "../common.js";

const Options = z.object({
  db: z.string().optional(),
  consumer: z.string(),
  types: z.array(z.string()).optional(),
  streamPrefix: z.string().optional(),
  from: z.union([z.literal("beginning"), z.literal("end"), z.number().int()]).optional(),
  window: z.number().int(),
  ack: z.boolean(),
  untilHead: z.boolean().optional(),
  batchSize: z.number().int(),
  leaseMs: z.number().int(),
});

/** `--types A,B` (or repeated): known event types only. */
export const typesArg = (value: string, previous: string[] = []): EventType[] => {
  const types = value
    .split(",")
    .map((t) => t.trim())
    .filter(Boolean);
  const known = types.filter(isEventType);
  const unknown = types.find((t) => !isEventType(t));
  if (unknown !== undefined)
    throw new InvalidArgumentError(`unknown event type "${unknown}" (known: ${EVENT_TYPES.join(", ")})`);
  return [...previous.filter(isEventType), ...known];
};

/** `--from beginning|end|POSITION`: where a consumer starts (POSITION is the first one delivered, as `events --from`). */
export const startArg = (value: string): "beginning" | "end" | number => {
  if (value === "beginning" || value === "end") return value;
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(Number(value)) || Number(value) < 1)
    throw new InvalidArgumentError(`expected beginning, end or a position from 1, got "${value}"`);
  return Number(value);
};

export const registerFollow = (program: Command, { io, action }: Cli): void => {
  withCommon(
    program
      .command("follow")
      .description(
        "follow the log as a named consumer: events as JSON lines on stdout, acknowledgements on stdin; resumes after the last one",
      )
      .requiredOption("--consumer <name>", "the consumer's name: its checkpoint in the database")
      .option("--types <types>", "only these event types, comma-separated or repeated", typesArg)
      .option("--stream-prefix <prefix>", "only streams whose id starts with this (image:, training:, batch:b1)")
      .option(
        "--from <start>",
        "where a new consumer starts: beginning, end, or the first position to deliver (default beginning)",
        startArg,
      )
      .option("--window <n>", "at most n lines written and not yet acknowledged", intArg(1), 1000)
      .addOption(new Option("--no-ack", "at-most-once: no acknowledgements, the checkpoint moves as lines are written"))
      .option("--until-head", "stop once every event up to the log's head is delivered (and acknowledged)")
      .option("--batch-size <n>", "events read from the log at a time", intArg(1), 250)
      .option(
        "--lease-ms <ms>",
        "lease length: how long a killed follower blocks another from taking over",
        intArg(100),
        10_000,
      ),
    { json: false },
  )
    .addHelpText(
      "after",
      `
Out (stdout), one line per event, the shape of \`artist-store events\`:
  {"position":42,"eventId":"...","streamId":"image:a.png","type":"ImageCurated","data":{...},...}
In (stdin), one line per acknowledgement:  {"ack": 42}
  makes position 42 and everything before it durable for the consumer; the answer
  {"acked":42} comes on stdout once it is. Restarted, the follower resumes after the last
  acknowledged position: unacknowledged lines come again (at-least-once).
Stdin closed, SIGINT or SIGTERM: stop (exit 0). A bad acknowledgement (not JSON, a position
not sent, beyond the last sent, going backwards): one error line on stderr, exit 2, the
checkpoint stays at the previous acknowledgement. Another process running the same consumer:
this one waits for its lease. --no-ack serves pipes: artist-store follow --consumer x --no-ack | jq .type

Examples:
  $ artist-store follow --consumer thumbnailer --types ImageCurated
  $ artist-store follow --consumer export --no-ack --until-head > new-events.jsonl`,
    )
    .action(
      action(async (raw: unknown) => {
        const opts = Options.parse(raw);
        if (opts.window < 1) throw new UsageError("--window must be at least 1");
        const store = openCliStore(io, opts.db);
        const holder = defaultHolder();
        // scripts/artist-store.ts exits at once when stdout's reader goes away: give the lease back on the way out.
        const releaseOnExit = () => createCheckpoints(store.db).release(opts.consumer, holder);
        process.once("exit", releaseOnExit);
        const controller = new AbortController();
        const onSignal = () => {
          if (controller.signal.aborted) process.exit(EXIT.failure);
          controller.abort();
        };
        process.on("SIGINT", onSignal);
        process.on("SIGTERM", onSignal);
        const acks = opts.ack
          ? createInterface({ input: process.stdin, crlfDelay: Number.POSITIVE_INFINITY })
          : undefined;
        try {
          await followConsumer(
            store,
            {
              name: opts.consumer,
              types: opts.types?.filter(isEventType),
              streamPrefix: opts.streamPrefix,
              from: opts.from,
              window: opts.window,
              ack: opts.ack,
              untilHead: opts.untilHead,
              batchSize: opts.batchSize,
              leaseMs: opts.leaseMs,
              holder,
              signal: controller.signal,
              onWarning: (message) => io.err(`${io.errColor.yellow("note:")} ${message}\n`),
            },
            {
              write: (line) => {
                io.out(line);
                return process.stdout.writableNeedDrain ? once(process.stdout, "drain") : undefined;
              },
              acks,
            },
          );
          return EXIT.ok;
        } catch (e) {
          if (!(e instanceof StoreError && e.code === "INVALID_ACK")) throw e;
          io.err(`${io.errColor.red("error:")} ${e.message}\n`);
          return EXIT.usage;
        } finally {
          process.off("SIGINT", onSignal);
          process.off("SIGTERM", onSignal);
          process.off("exit", releaseOnExit);
          acks?.close();
          if (acks) process.stdin.destroy();
          store.close();
        }
      }),
    );
};
