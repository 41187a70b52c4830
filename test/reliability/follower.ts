import { spawn } from "node:child_process";
import { join } from "node:path";
import { isDeepStrictEqual } from "node:util";
import { z } from "zod";
import type { Db } from "../../src/db/connection.js";
import { packageRoot } from "../../src/db/paths.js";
import type { AckedEvent } from "./children/protocol.js";
import { type Killable, watchProcess } from "./support.js";

/**
 * A producer in another language, as the reliability suites play it: a plan of
 * JSON lines fed to `artist-store emit --follow` (bin/artist-store.js, as a
 * pipeline runs it), and the acknowledgements it prints, one per line.
 */

/** One line of a producer's plan: its text and the event it must become, or, for a bad line, none. */
export interface PlannedLine {
  text: string;
  /** The event the store must append for this line (undefined: the store must refuse the line). */
  event?: { id: string; type: string; streamId: string; streamVersion: number; data: Record<string, unknown> };
  /** A refused line's event id, which must never reach the log. */
  refusedId?: string;
}

/**
 * `count` lines for producer `tag`: new images and curations of them (each with the
 * `streamVersion` it must get), and every so often a line the store must refuse
 * (torn JSON, a score out of range, a curation of an image never generated).
 * @example const plan = planLines("f0", 500, prng(seed).next);
 */
export const planLines = (tag: string, count: number, random: () => number): PlannedLine[] => {
  const versions = new Map<string, number>();
  const filenames: string[] = [];
  const plan: PlannedLine[] = [];
  const line = (id: string, type: string, filename: string, data: Record<string, unknown>, good: boolean) => {
    const streamId = `image:${filename}`;
    const streamVersion = (versions.get(streamId) ?? 0) + 1;
    const text = JSON.stringify({ type, id, streamVersion, data });
    if (!good) return plan.push({ text, refusedId: id });
    versions.set(streamId, streamVersion);
    return plan.push({ text, event: { id, type, streamId, streamVersion, data } });
  };
  for (let n = 1; n <= count; n++) {
    const id = `${tag}-l${n}`;
    const known = filenames[Math.floor(random() * filenames.length)];
    const curation = { status: random() < 0.5 ? "curated" : "rejected", isFeatured: random() < 0.2 };
    if (n % 29 === 0) plan.push({ text: `{"type":"ImageGenerated","id":"${id}","data":{"filename":"${tag}-torn` });
    else if (n % 31 === 0)
      line(id, "ImageCurated", `${tag}-never.png`, { filename: `${tag}-never.png`, ...curation, finalScore: 5 }, false);
    else if (known !== undefined && n % 13 === 0)
      line(id, "ImageCurated", known, { filename: known, ...curation, finalScore: 12 }, false);
    else if (known === undefined || random() < 0.5) {
      const filename = `${tag}-${n}.png`;
      filenames.push(filename);
      line(
        id,
        "ImageGenerated",
        filename,
        { filename, prompt: `follow ${tag} line ${n}`, modelId: "m", seed: n },
        true,
      );
    } else
      line(
        id,
        "ImageCurated",
        known,
        { filename: known, ...curation, finalScore: Math.round(random() * 100) / 10 },
        true,
      );
  }
  return plan;
};

const FollowAck = z.union([
  z.object({
    line: z.number(),
    ok: z.literal(true),
    position: z.number(),
    eventId: z.string(),
    streamId: z.string(),
    streamVersion: z.number(),
    duplicate: z.boolean(),
  }),
  z.object({ line: z.number(), ok: z.literal(false), error: z.object({ code: z.string(), message: z.string() }) }),
]);
type FollowAck = z.infer<typeof FollowAck>;

export interface Follower extends Killable {
  /** Every acknowledgement, in the order printed. */
  readonly acknowledgements: FollowAck[];
  /** The accepted lines as [eventId, position, streamId, streamVersion, duplicate]. */
  readonly acked: AckedEvent[];
  /** Write plan lines [offset, offset + count) to its stdin (it takes them one by one); a later feed continues where this one ended. */
  feed(plan: readonly PlannedLine[], offset: number, count: number, end?: boolean): void;
  /** Where in the plan its line 1 is, and how many lines it was given. */
  fed(): { offset: number; count: number };
}

/**
 * Start `artist-store emit --follow --db <db>` through bin/artist-store.js. It waits
 * on stdin until `feed`, so it can be started ahead of time (a start costs a second
 * or two under tsx).
 * @example const f = spawnFollower(db); f.feed(plan, 0, 400);
 */
export const spawnFollower = (db: string): Follower => {
  const { DATABASE_URL: _ignored, ...env } = process.env;
  const proc = spawn(process.execPath, [join(packageRoot, "bin", "artist-store.js"), "emit", "--follow", "--db", db], {
    env,
    cwd: packageRoot,
  });
  // Lines still queued when the process is killed fail with EPIPE: that is the kill, not an error of the test.
  proc.stdin.on("error", () => {});
  const acknowledgements: FollowAck[] = [];
  const acked: AckedEvent[] = [];
  let fed = { offset: 0, count: 0 };
  const watched = watchProcess(proc, "emit --follow", (text, note) => {
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      note(`[non-JSON stdout] ${text}\n`);
      return;
    }
    const ack = FollowAck.parse(parsed);
    acknowledgements.push(ack);
    if (ack.ok) acked.push([ack.eventId, ack.position, ack.streamId, ack.streamVersion, ack.duplicate]);
  });
  return {
    proc,
    ...watched,
    acknowledgements,
    acked,
    ready: () => fed.count > 0,
    acks: () => acknowledgements.length,
    fed: () => fed,
    feed: (plan, offset, count, end = false) => {
      const lines = plan.slice(offset, offset + count);
      if (fed.count > 0 && offset !== fed.offset + fed.count)
        throw new Error(`feed continues at plan line ${fed.offset + fed.count + 1}, not ${offset + 1}`);
      fed = fed.count > 0 ? { offset: fed.offset, count: fed.count + lines.length } : { offset, count: lines.length };
      proc.stdin.write(lines.map((l) => `${l.text}\n`).join(""));
      if (end) proc.stdin.end();
    },
  };
};

/** Codes that say the store failed, not the line: never an acceptable answer to a line of the plan. */
const STORE_FAILURES = new Set(["INTERNAL", "STORE_BUSY", "DISK_FULL", "DISK_IO_ERROR"]);
const StoredRow = z.object({ position: z.number(), streamId: z.string(), streamVersion: z.number() });
const StoredData = z.object({ type: z.string(), data: z.string() });

/**
 * What a follower (killed or not) left in the log, against its plan. Every list is
 * empty when all is well: each acknowledged line is in the log where its
 * acknowledgement said, each refused line absent, each stored event exactly its
 * line, and the lines committed past the last acknowledgement are a run right after
 * it, in plan order (the lines of one group commit whose acknowledgements the kill
 * cut off): no line is committed after a good line that is not.
 * `mayBeDuplicate`: lines 1..n are resends of lines an earlier follower committed unacknowledged.
 * @example expect(checkFollower(db, f, plan).lost).toEqual([]);
 */
export const checkFollower = (
  db: Db,
  follower: Follower,
  plan: readonly PlannedLine[],
  { mayBeDuplicate = 0 }: { mayBeDuplicate?: number } = {},
) => {
  const byId = db.prepare(
    `SELECT position, stream_id AS streamId, stream_version AS streamVersion FROM events WHERE event_id = ?`,
  );
  const dataOf = db.prepare(`SELECT type, data FROM events WHERE event_id = ?`);
  const stored = (id: string) => {
    const row = byId.get(id);
    return row === undefined ? undefined : StoredRow.parse(row);
  };
  const { offset, count } = follower.fed();
  const out = {
    misacknowledged: [] as string[],
    lost: [] as string[],
    refusedButStored: [] as string[],
    notAsSent: [] as string[],
    committedUnacknowledged: [] as string[],
    committedOutOfOrder: [] as string[],
  };
  const committed: NonNullable<PlannedLine["event"]>[] = [];
  for (const [i, ack] of follower.acknowledgements.entries()) {
    const planned = plan[offset + i];
    const where = `plan line ${offset + i + 1} (follower line ${i + 1})`;
    if (ack.line !== i + 1 || planned === undefined) {
      out.misacknowledged.push(`${where}: ack ${ack.line}`);
      continue;
    }
    if (!planned.event) {
      if (ack.ok || STORE_FAILURES.has(ack.error.code))
        out.misacknowledged.push(`${where}: a bad line acknowledged as ${JSON.stringify(ack)}`);
      if (planned.refusedId && stored(planned.refusedId)) out.refusedButStored.push(where);
      continue;
    }
    const e = planned.event;
    const asPlanned =
      ack.ok &&
      ack.eventId === e.id &&
      ack.streamId === e.streamId &&
      ack.streamVersion === e.streamVersion &&
      (!ack.duplicate || i < mayBeDuplicate);
    if (!asPlanned) {
      out.misacknowledged.push(`${where}: ${JSON.stringify(ack)}`);
      continue;
    }
    const row = stored(e.id);
    if (!isDeepStrictEqual(row, { position: ack.position, streamId: e.streamId, streamVersion: e.streamVersion }))
      out.lost.push(`${where}: acknowledged at ${ack.position}, in the log ${JSON.stringify(row)}`);
    committed.push(e);
  }
  // Past the last acknowledgement: a run of committed lines, then none.
  const next = follower.acknowledgements.length;
  let runEnded = false;
  for (let i = next; i < count; i++) {
    const planned = plan[offset + i];
    const id = planned?.event?.id ?? planned?.refusedId;
    if (id === undefined) continue;
    if (!stored(id)) {
      if (planned?.event) runEnded = true;
      continue;
    }
    if (!runEnded && planned?.event) {
      out.committedUnacknowledged.push(id);
      committed.push(planned.event);
    } else out.committedOutOfOrder.push(`plan line ${offset + i + 1}`);
  }
  // Each committed event is its line exactly: type and every field sent.
  for (const e of committed) {
    const row = StoredData.parse(dataOf.get(e.id));
    const data: unknown = JSON.parse(row.data);
    const same =
      row.type === e.type &&
      typeof data === "object" &&
      data !== null &&
      Object.entries(e.data).every(([k, v]) => isDeepStrictEqual(Reflect.get(data, k), v));
    if (!same) out.notAsSent.push(`${e.id}: ${row.type} ${row.data}`);
  }
  return out;
};
