import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { openConnection } from "../../src/db/connection.js";
import { openStore } from "../../src/index.js";
import { tempDir } from "../support.js";
import { startFollower } from "./followClient.js";
import { cli, json } from "./run.js";

/** A migrated database with `n` events: batches started, every third an image generated in it. */
const logOf = (n: number): string => {
  const path = join(tempDir(), "follow.db");
  const store = openStore({ url: path, migrate: true });
  for (let i = 1; i <= n; i++)
    if (i % 3 === 0) store.emit.imageGenerated({ filename: `img-${i}.png`, prompt: `p${i}`, modelId: "sdxl" });
    else store.emit.batchStarted({ batchId: `b${i}` });
  store.close();
  return path;
};

const Row = z.object({ position: z.number(), leaseHolder: z.string().nullable() });
const checkpoint = (db: string, name: string) => {
  const conn = openConnection(db, { readonly: true });
  try {
    return Row.parse(
      conn.prepare(`SELECT position, lease_holder AS leaseHolder FROM consumers WHERE name = ?`).get(name),
    );
  } finally {
    conn.close();
  }
};

/** The consumer's lease holder, undefined while it has none or does not exist yet. */
const holderOf = (db: string, name: string): string | undefined => {
  const conn = openConnection(db, { readonly: true });
  try {
    const holder = conn.prepare(`SELECT lease_holder FROM consumers WHERE name = ?`).pluck().get(name);
    return typeof holder === "string" ? holder : undefined;
  } finally {
    conn.close();
  }
};

describe("artist-store follow", () => {
  it("explains itself: the protocol, the exit codes, examples", () => {
    const help = cli(["follow", "--help"]);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain("Usage: artist-store follow [options]");
    for (const text of ['{"ack": 42}', '{"acked":42}', "--no-ack", "--window <n>", "--until-head", "exit 2"])
      expect(help.stdout).toContain(text);
    const consumers = cli(["consumers", "--help"]);
    expect(consumers.stdout).toMatch(/Usage: artist-store consumers[\s\S]*list[\s\S]*reset[\s\S]*delete/);
    expect(cli(["--help"]).stdout).toMatch(/follow[\s\S]*consumers/);
  });

  it("writes exactly the lines `artist-store events` prints, and with --no-ack checkpoints them", () => {
    const db = logOf(25);
    const events = cli(["events", "--db", db]);
    const followed = cli(["follow", "--db", db, "--consumer", "copy", "--no-ack", "--until-head", "--batch-size", "7"]);
    expect(followed).toMatchObject({ code: 0, stderr: "" });
    expect(followed.stdout).toBe(events.stdout);
    expect(checkpoint(db, "copy")).toEqual({ position: 25, leaseHolder: null });
    const typed = cli([
      "follow",
      "--db",
      db,
      "--consumer",
      "images",
      "--types",
      "ImageGenerated",
      "--no-ack",
      "--until-head",
    ]);
    expect(typed.stdout).toBe(cli(["events", "--db", db, "--type", "ImageGenerated"]).stdout);
  });

  it("answers each acknowledgement once it is durable, stops when stdin closes, and resumes after the last one", async () => {
    const db = logOf(10);
    const first = startFollower(["--db", db, "--consumer", "c", "--window", "4"]);
    await first.waitFor(() => first.events.length === 4);
    await first.ackAndWait(3);
    expect(checkpoint(db, "c").position).toBe(3);
    await first.waitFor(() => first.events.length === 7);
    first.close();
    expect(await first.exited).toEqual({ code: 0, signal: null });
    expect(first.raw.filter((l) => l.startsWith('{"acked"'))).toEqual(['{"acked":3}']);
    expect(checkpoint(db, "c")).toEqual({ position: 3, leaseHolder: null });

    const second = startFollower(["--db", db, "--consumer", "c", "--until-head"]);
    await second.waitFor(() => second.events.length === 7);
    expect(second.events).toEqual([4, 5, 6, 7, 8, 9, 10]);
    await second.ackAndWait(10);
    expect(await second.exited).toEqual({ code: 0, signal: null });
    expect(checkpoint(db, "c").position).toBe(10);
  });

  it.each([
    ["not JSON", "ack 2", /^error: ack line 2: not valid JSON: .*\n$/],
    [
      "a position never sent",
      '{"ack": 4}',
      /^error: ack line 2: ack 4 is not the position of an event sent; awaiting acknowledgement: 6\n$/,
    ],
    [
      "a position beyond what was sent",
      '{"ack": 7}',
      /^error: ack line 2: ack 7 is beyond the last position sent \(6\)\n$/,
    ],
    [
      "a position going backwards",
      '{"ack": 2}',
      /^error: ack line 2: ack 2 goes backwards: position 3 is already acknowledged\n$/,
    ],
  ])("refuses %s on stdin: one error line, exit code 2, the checkpoint unchanged", async (_, bad, message) => {
    const db = logOf(6);
    const f = startFollower(["--db", db, "--consumer", "strict", "--types", "ImageGenerated"]);
    await f.waitFor(() => f.events.length === 2);
    expect(f.events).toEqual([3, 6]);
    await f.ackAndWait(3);
    f.send(bad);
    expect(await f.exited).toEqual({ code: 2, signal: null });
    expect(f.stderr()).toMatch(message);
    expect(checkpoint(db, "strict")).toEqual({ position: 3, leaseHolder: null });
  });

  it("starts a new consumer at the end or at a position, and notes that an existing one resumes instead", () => {
    const db = logOf(6);
    const args = ["follow", "--db", db, "--no-ack", "--until-head"];
    expect(cli([...args, "--consumer", "late", "--from", "end"]).stdout).toBe("");
    const from5 = cli([...args, "--consumer", "mid", "--from", "5"]);
    expect(
      from5.stdout
        .split("\n")
        .filter(Boolean)
        .map((l) => z.object({ position: z.number() }).parse(JSON.parse(l)).position),
    ).toEqual([5, 6]);
    const again = cli([...args, "--consumer", "mid", "--from", "beginning"]);
    expect(again).toMatchObject({ code: 0, stdout: "" });
    expect(again.stderr).toMatch(
      /^note: consumer mid exists: it resumes after its checkpoint 6 \(a start point applies to a new consumer; reset it to move it\)\n$/,
    );
  });

  it("refuses bad options as usage errors", () => {
    const db = logOf(1);
    for (const [args, message] of [
      [["--consumer", "x", "--types", "ImageDeleted"], /unknown event type "ImageDeleted"/],
      [["--consumer", "x", "--from", "yesterday"], /expected beginning, end or a position from 1, got "yesterday"/],
      [["--consumer", "x", "--window", "0"], /expected an integer >= 1, got 0/],
      [[], /required option '--consumer <name>' not specified/],
    ] as const) {
      const r = cli(["follow", "--db", db, ...args]);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(message);
    }
    const r = cli(["follow", "--db", db, "--consumer", "x", "--from", "5", "--no-ack"]);
    expect(r).toMatchObject({
      code: 1,
      stderr: expect.stringMatching(/^error: start position must be an integer from 1 to 2/),
    });
  });

  it("lets a second follower of the same consumer wait, and take over once the first stops", async () => {
    const db = logOf(5);
    const first = startFollower(["--db", db, "--consumer", "shared"]);
    await first.waitFor(() => first.events.length === 5);
    await first.ackAndWait(2);
    const second = startFollower(["--db", db, "--consumer", "shared", "--until-head"]);
    await second.waitFor(() => second.stderr().includes("waiting to take it over"));
    expect(second.events).toEqual([]);
    first.close();
    await first.exited;
    await second.waitFor(() => second.events.length === 3);
    expect(second.events).toEqual([3, 4, 5]);
    await second.ackAndWait(5);
    expect(await second.exited).toEqual({ code: 0, signal: null });
  });

  it("stops on SIGTERM with exit code 0 and gives its lease back", async () => {
    const db = logOf(3);
    const f = startFollower(["--db", db, "--consumer", "term"]);
    await f.waitFor(() => f.events.length === 3);
    expect(checkpoint(db, "term").leaseHolder).not.toBeNull();
    f.proc.kill("SIGTERM");
    expect(await f.exited).toEqual({ code: 0, signal: null });
    expect(checkpoint(db, "term")).toEqual({ position: 0, leaseHolder: null });
  });
});

describe("artist-store consumers", () => {
  it("lists consumers with their lag and lease, resets and deletes them", async () => {
    const db = logOf(6);
    cli(["follow", "--db", db, "--consumer", "done", "--no-ack", "--until-head"]);
    cli([
      "follow",
      "--db",
      db,
      "--consumer",
      "behind",
      "--from",
      "3",
      "--no-ack",
      "--until-head",
      "--types",
      "TrainingStarted",
    ]);
    const f = startFollower(["--db", db, "--consumer", "running", "--from", "end"]);
    await f.waitFor(() => holderOf(db, "running") !== undefined);
    const list = json(cli(["consumers", "--db", db, "--json"]));
    expect(list).toEqual([
      expect.objectContaining({ name: "behind", position: 6, lagEvents: 0 }),
      expect.objectContaining({ name: "done", position: 6, head: 6, lagEvents: 0, lagSeconds: 0, lease: null }),
      expect.objectContaining({ name: "running", position: 6, lease: expect.objectContaining({ live: true }) }),
    ]);
    const table = cli(["consumers", "--db", db]);
    expect(table.stdout).toMatch(/consumer.*position.*head.*lag \(events\).*lag \(time\).*moved.*holder/);
    expect(table.stdout).toMatch(/running .*:\d+:/);

    const reset = cli(["consumers", "reset", "done", "--db", db, "--from", "4", "--json"]);
    expect(json(reset)).toMatchObject({ name: "done", position: 3, lagEvents: 3, resets: 1 });
    const refused = cli(["consumers", "reset", "running", "--db", db, "--from", "beginning"]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(
      /^error: cannot reset consumer running: it is running \(lease held by .* until .*\); stop it first, or force it/,
    );
    expect(cli(["consumers", "delete", "running", "--db", db]).code).toBe(1);
    expect(cli(["consumers", "delete", "running", "--db", db, "--force"]).stdout).toBe(
      "deleted running (its checkpoint was at 6)\n",
    );
    // The follower whose consumer was deleted under it stops with LEASE_LOST at its next checkpoint write.
    f.close();
    await f.exited;
    expect(cli(["consumers", "delete", "nobody", "--db", db])).toMatchObject({
      code: 1,
      stderr: 'error: no consumer named "nobody"\n',
    });
    expect((json(cli(["consumers", "list", "--db", db, "--json"])) as unknown[]).length).toBe(2);
  });

  it("doctor reports a consumer lagging past its thresholds, and exits 1", () => {
    const db = logOf(4);
    cli([
      "follow",
      "--db",
      db,
      "--consumer",
      "lagging",
      "--from",
      "2",
      "--no-ack",
      "--until-head",
      "--types",
      "TrainingStarted",
    ]);
    cli(["consumers", "reset", "lagging", "--db", db, "--from", "2"]);
    const fine = cli(["doctor", "--db", db, "--json", "--max-consumer-lag", "3"]);
    expect(fine.code).toBe(0);
    expect(json(fine)).toMatchObject({ consumers: [{ name: "lagging", lagEvents: 3 }] });
    const lagging = cli(["doctor", "--db", db, "--json", "--max-consumer-lag", "2"]);
    expect(lagging.code).toBe(1);
    expect(json(lagging)).toMatchObject({
      problems: [
        expect.stringMatching(
          /^consumer lagging lags: 3 event\(s\) behind the head \(4\), the oldest recorded \d+ s ago \(thresholds 2 events, 3600 s\)/,
        ),
      ],
    });
    const aged = cli(["doctor", "--db", db, "--max-consumer-age", "0"]);
    expect(aged.code).toBe(1);
    expect(aged.stdout).toMatch(/Consumers\n[\s\S]*lagging[\s\S]*problem: consumer lagging lags/);
  });
});

describe("artist-store demo's consumer", () => {
  it("exports the featured images to a manifest beside the database, and nothing more on a second run", () => {
    const dir = tempDir();
    const db = join(dir, "demo.db");
    const Report = z.object({
      exporter: z.object({
        consumer: z.string(),
        manifest: z.string(),
        exported: z.array(z.object({ filename: z.string() })),
        position: z.number(),
      }),
      head: z.number(),
    });
    const first = Report.parse(json(cli(["demo", "--db", db, "--json"])));
    expect(first.exporter).toMatchObject({
      consumer: "training-set-exporter",
      manifest: join(dir, "training-set.jsonl"),
      position: first.head,
    });
    expect(first.exporter.exported.length).toBeGreaterThan(0);
    const again = Report.parse(json(cli(["demo", "--db", db, "--json"])));
    expect(again.exporter.exported).toEqual([]);
    const human = cli(["demo", "--db", db]);
    expect(human.stdout).toMatch(
      /Training-set exporter \(consumer training-set-exporter\)\n0 featured image\(s\) exported to .*training-set\.jsonl \(nothing new since its checkpoint\); checkpoint at \d+\n$/,
    );
  });
});
