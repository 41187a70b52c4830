import { createReadStream, createWriteStream, existsSync, fstatSync, mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pipeline } from "node:stream/promises";
import type { Command } from "commander";
import { z } from "zod";
import { emitLines, followLines, type LineResult } from "../../ingest/emitLines.js";
import { byteLines } from "../../ingest/lines.js";
import { type Cli, EXIT, type Io, intArg, openCliStore, printJson, UsageError, withCommon } from "../common.js";
import { emitPostgres, postgresTarget } from "../postgres.js";
import { commandProgress, countingBytes, countingItems } from "../progress.js";

const Options = z.object({
  db: z.string().optional(),
  json: z.boolean().optional(),
  atomic: z.boolean().optional(),
  follow: z.boolean().optional(),
  batchSize: z.number().int().min(1),
});

const ackOf = (r: LineResult) =>
  r.ok
    ? {
        line: r.line,
        ok: true,
        position: r.appended.position,
        eventId: r.appended.eventId,
        streamId: r.appended.streamId,
        streamVersion: r.appended.streamVersion,
        duplicate: r.appended.duplicate,
      }
    : { line: r.line, ok: false, error: { code: r.code, message: r.message } };

/** A batch is held in memory until it is written: this bounds it (the gain from larger batches is gone long before). */
const MAX_BATCH = 10_000;

const stdinIsFile = (): boolean => {
  try {
    return fstatSync(0).isFile();
  } catch {
    return false;
  }
};

/**
 * What --atomic reads: a file in place; stdin copied to a private temporary file first (and
 * removed after), so that the one transaction holds the write lock while the lines are
 * appended, not while a slow producer writes them, and memory holds a batch, not the input.
 */
const atomicInput = async (file: string | undefined): Promise<{ path: string | undefined; done: () => void }> => {
  if ((file !== undefined && file !== "-") || stdinIsFile())
    return { path: file === "-" ? undefined : file, done: () => {} };
  const dir = mkdtempSync(join(tmpdir(), "artist-store-emit-"));
  const done = () => rmSync(dir, { recursive: true, force: true });
  try {
    const path = join(dir, "stdin.jsonl");
    await pipeline(process.stdin, createWriteStream(path, { mode: 0o600 }));
    return { path, done };
  } catch (e) {
    done();
    throw e;
  }
};

/** The size of what is read, if it has one: a file, or stdin redirected from a file. */
const sizeOf = (from: string | undefined): number | undefined => {
  try {
    const stat = from === undefined ? fstatSync(0) : statSync(from);
    return stat.isFile() ? stat.size : undefined;
  } catch {
    return undefined;
  }
};

/**
 * The input's lines, with progress on a terminal: bytes read of the size of a file (with its ETA), or a count of
 * lines and their rate from a pipe, whose end nobody knows. Nothing is counted when no bar is drawn.
 */
const withProgress = async <T>(
  io: Io,
  from: string | undefined,
  input: AsyncIterable<Uint8Array | string>,
  run: (lines: AsyncIterable<Uint8Array>) => Promise<T>,
): Promise<T> => {
  const size = sizeOf(from);
  const progress = commandProgress(io, "emit", size === undefined ? "lines" : "bytes");
  // A person typing lines into a terminal sees each line's outcome at the end; a redrawn count would garble what they type.
  const typed = from === undefined && process.stdin.isTTY === true;
  try {
    // Bytes, not text: each line is checked to be UTF-8 before it is decoded (ingest/lines.ts).
    if (!progress.drawn || typed) return await run(byteLines(input));
    return await run(
      size === undefined ? countingItems(byteLines(input), progress) : byteLines(countingBytes(input, size, progress)),
    );
  } finally {
    progress.stop();
  }
};

export const registerEmit = (program: Command, { io, action }: Cli): void => {
  withCommon(
    program
      .command("emit")
      .description("append events given as JSON lines (a file, or stdin) and report accepted and rejected lines")
      .argument("[file]", "a file of JSON lines; - or nothing reads stdin")
      .option("--atomic", "all lines in one transaction, streamed through it: if any line is bad, nothing is written")
      .option(
        "--follow",
        "long-lived: append each stdin line as it arrives and acknowledge it on stdout with one JSON line",
      )
      .option(
        "--batch-size <n>",
        `events per transaction, at most ${MAX_BATCH} (with --atomic: per savepoint; not with --follow)`,
        intArg(1, MAX_BATCH),
        500,
      ),
  )
    .addHelpText(
      "after",
      `
Each line: {"type": "ImageGenerated", "data": {...}, "id"?: "...", "streamVersion"?: n,
            "occurredAt"?: "2026-01-08T12:00:00Z", "metadata"?: {...}}
streamVersion is the version the event will have in its stream (1 opens it); the line is
rejected if the stream is not at streamVersion - 1 (expectedVersion, the library's name, works too).
A stored event as \`events --nl\` prints it is taken back: eventId is its id (importing it again
is a duplicate), streamId must be the stream its data names, an older schemaVersion is upcast;
position and recordedAt belong to the store it came from and are ignored. \`events --json\`
prints one array, not lines: export with \`events --nl\`.

Example, copying a log into a new store:
  $ artist-store events --db old.db --nl > log.jsonl
  $ artist-store migrate --db new.db && artist-store emit log.jsonl --db new.db

Exit code 1 if any line was rejected. With --follow each acknowledgement is
{"line":n,"ok":true,"position":p,...} once the event is committed, or {"line":n,"ok":false,"error":{...}}.`,
    )
    .action(
      action(async (file: string | undefined, raw: unknown) => {
        const opts = Options.parse(raw);
        if (opts.follow && (file ?? "-") !== "-") throw new UsageError("--follow reads stdin: give no file");
        if (opts.follow && opts.atomic)
          throw new UsageError("--follow and --atomic cannot be combined: --follow commits each line on its own");
        if (file !== undefined && file !== "-" && !existsSync(file))
          throw new UsageError(`cannot read ${file}: no such file`);
        const pg = postgresTarget(opts.db);
        if (pg) return emitPostgres(io, pg, file, opts);
        const store = openCliStore(io, opts.db);
        let spill: Awaited<ReturnType<typeof atomicInput>> | undefined;
        try {
          spill = opts.atomic ? await atomicInput(file) : undefined;
          const from = spill ? spill.path : file === "-" ? undefined : file;
          const input = from === undefined ? process.stdin : createReadStream(from);
          if (opts.follow) {
            store.keepStatisticsFresh();
            // A transaction's acknowledgements go out in one write, which waits for their reader:
            // a reader that stops reading stops the appends.
            let acks = "";
            const counts = await followLines(
              store,
              byteLines(input),
              (r) => {
                acks += `${JSON.stringify(ackOf(r))}\n`;
              },
              {
                endOfGroup: () => {
                  const text = acks;
                  acks = "";
                  return io.write(text);
                },
              },
            ).finally(
              // Its reader may have gone while a read of stdin was waiting: nothing more will be read.
              () => process.stdin.destroy(),
            );
            return counts.rejected > 0 ? EXIT.failure : EXIT.ok;
          }
          const report = await withProgress(io, from, input, (lines) =>
            emitLines(store, lines, { atomic: opts.atomic, batchSize: opts.batchSize }),
          );
          if (opts.json)
            printJson(io, {
              ...report,
              atomic: opts.atomic === true,
              written: !opts.atomic || report.rejected.length === 0,
            });
          else {
            const c = io.color;
            const range =
              report.firstPosition === null ? "" : ` at positions ${report.firstPosition}–${report.lastPosition}`;
            if (opts.atomic && report.rejected.length > 0)
              io.out(c.red(`nothing written (--atomic): ${report.rejected.length} bad line(s)\n`));
            else
              io.out(
                `${c.green(`accepted ${report.accepted}`)} event(s)${report.duplicates ? ` (${report.duplicates} already in the log)` : ""}${range}\n`,
              );
            if (report.rejected.length > 0) {
              io.out(c.red(`rejected ${report.rejected.length} line(s):\n`));
              for (const r of report.rejected) io.out(`  ${r.message} ${c.dim(`[${r.code}]`)}\n`);
            }
          }
          return report.rejected.length > 0 ? EXIT.failure : EXIT.ok;
        } finally {
          store.close();
          spill?.done();
        }
      }),
    );
};
