import { createInterface } from "node:readline";
import { onTestFinished } from "vitest";
import { z } from "zod";
import { cliProcess } from "./run.js";

/** What `artist-store follow` writes: an event (the shape of `events`) or the answer to an acknowledgement. */
export const FollowLine = z.union([
  z.object({ position: z.number(), eventId: z.string(), type: z.string() }).passthrough(),
  z.strictObject({ acked: z.number() }),
]);
export type FollowLine = z.output<typeof FollowLine>;

/**
 * `artist-store follow ...args` as a real child process, with a client's view of it: the lines it
 * wrote so far (events and answers), a way to acknowledge, and its exit.
 * @example const f = startFollower(["--db", db, "--consumer", "c"]); await f.waitFor(() => f.events.length >= 3); f.ack(3);
 */
export const startFollower = (args: readonly string[], options: { env?: Record<string, string> } = {}) => {
  const proc = cliProcess(["follow", ...args], options);
  onTestFinished(() => {
    if (proc.exitCode === null && proc.signalCode === null) proc.kill("SIGKILL");
  });
  const raw: string[] = [];
  const events: number[] = [];
  const answers: number[] = [];
  let stderr = "";
  proc.stderr.setEncoding("utf8").on("data", (chunk: string) => {
    stderr += chunk;
    wakeAll();
  });
  const waiters = new Set<() => void>();
  const wakeAll = () => {
    for (const w of waiters) w();
  };
  createInterface({ input: proc.stdout }).on("line", (text) => {
    raw.push(text);
    const line = FollowLine.parse(JSON.parse(text));
    if ("position" in line) events.push(line.position);
    else answers.push(line.acked);
    wakeAll();
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    proc.on("close", (code, signal) => {
      wakeAll();
      resolve({ code, signal });
    }),
  );
  // A follower killed or finished while the client still writes: the pipe breaks, which is the point.
  proc.stdin.on("error", () => {});
  const running = () => proc.exitCode === null && proc.signalCode === null;
  /** Resolve once `condition` holds (checked after every line); reject if the follower ends first or after timeoutMs. */
  const waitFor = (condition: () => boolean, timeoutMs = 60_000) =>
    new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => done(new Error(`follower timed out; stderr: ${stderr}`)), timeoutMs);
      // Conditions on the database change without a line from the follower: look again now and then too.
      const poll = setInterval(() => check(), 25);
      const check = () => {
        if (condition()) done();
        else if (!running())
          done(new Error(`follower exited (${proc.exitCode ?? proc.signalCode}); stderr: ${stderr}`));
      };
      const done = (error?: Error) => {
        clearTimeout(timer);
        clearInterval(poll);
        waiters.delete(check);
        if (error) reject(error);
        else resolve();
      };
      waiters.add(check);
      check();
    });
  return {
    proc,
    raw,
    events,
    answers,
    stderr: () => stderr,
    exited,
    waitFor,
    send: (text: string) => proc.stdin.write(`${text}\n`),
    ack: (position: number) => proc.stdin.write(`${JSON.stringify({ ack: position })}\n`),
    /** Acknowledge and wait for the answer. */
    ackAndWait: async (position: number) => {
      proc.stdin.write(`${JSON.stringify({ ack: position })}\n`);
      await waitFor(() => answers.includes(position));
    },
    close: () => proc.stdin.end(),
  };
};
export type Follower = ReturnType<typeof startFollower>;
