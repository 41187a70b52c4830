import { z } from "zod";

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
  const code = (err as { code?: unknown }).code;
  send({ t: "error", name: err.name, ...(typeof code === "string" ? { code } : {}), message: err.message });
};

/** A small seeded PRNG (mulberry32), so a failing run can be replayed from its seed. */
export const prng = (seed: number) => {
  let a = seed >>> 0;
  const next = (): number => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    int: (lo: number, hi: number): number => lo + Math.floor(next() * (hi - lo + 1)),
    pick: <T>(items: readonly T[]): T => {
      const item = items[Math.floor(next() * items.length)];
      if (item === undefined) throw new Error("pick from an empty list");
      return item;
    },
  };
};

/** A required environment variable of a child. */
export const env = (name: string): string => {
  const value = process.env[name];
  if (value === undefined || value === "") throw new Error(`child needs ${name}`);
  return value;
};
