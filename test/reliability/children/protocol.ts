import { z } from "zod";
import { errorCode } from "../../../src/db/sqliteErrors.js";
import { randomPicker, seededRandom } from "../../../src/demo/random.js";

/**
 * What a child process of the reliability suites says to its parent, one JSON
 * line per message on stdout. A child writes an `ack` only after the append
 * returned (its transaction committed), and stdout to a pipe is synchronous on
 * Linux, so the line is out before the next append begins: what the parent
 * has read as acknowledged, the child was told was durable.
 */
const AckedEvent = z.tuple([z.string(), z.number(), z.string(), z.number(), z.boolean()]);
/** [eventId, position, streamId, streamVersion, duplicate] */
export type AckedEvent = z.infer<typeof AckedEvent>;

export const ChildMessage = z.discriminatedUnion("t", [
  z.object({ t: z.literal("ready"), pid: z.number() }),
  z.object({ t: z.literal("ack"), events: z.array(AckedEvent), tag: z.string().optional() }),
  z.object({ t: z.literal("conflict"), streamId: z.string(), expected: z.number(), actual: z.number() }),
  z.object({ t: z.literal("error"), name: z.string(), code: z.string().optional(), message: z.string() }),
  z.object({ t: z.literal("done"), figures: z.record(z.string(), z.number()) }),
  /** Where a long operation (a rebuild, a backup) has got to. */
  z.object({ t: z.literal("phase"), name: z.string() }),
]);
export type ChildMessage = z.infer<typeof ChildMessage>;

export const send = (message: ChildMessage): void => {
  process.stdout.write(`${JSON.stringify(message)}\n`);
};

/** Report an error the store raised, with its code, as the caller saw it. */
export const sendError = (e: unknown): void => {
  const err = e instanceof Error ? e : new Error(String(e));
  const code = errorCode(e);
  send({ t: "error", name: err.name, ...(code === undefined ? {} : { code }), message: err.message });
};

/** The demo's seeded PRNG (mulberry32) with the draws the children use, so a failing run can be replayed from its seed. */
export const prng = (seed: number) => {
  const next = seededRandom(seed);
  return {
    next,
    int: (lo: number, hi: number): number => lo + Math.floor(next() * (hi - lo + 1)),
    pick: randomPicker(next),
  };
};

/** A required environment variable of a child. */
export const env = (name: string): string => {
  const value = process.env[name];
  if (value === undefined || value === "") throw new Error(`child needs ${name}`);
  return value;
};
