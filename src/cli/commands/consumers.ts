import type { Command } from "commander";
import { z } from "zod";
import { deleteConsumer, listConsumers, resetConsumer } from "../../consumers/manage.js";
import type { ConsumerStatus } from "../../consumers/status.js";
import { type Cli, EXIT, openCliStore, printJson, withCommon } from "../common.js";
import { table } from "../format.js";
import { startArg } from "./follow.js";

const Options = z.object({
  db: z.string().optional(),
  json: z.boolean().optional(),
  force: z.boolean().optional(),
  from: z.union([z.literal("beginning"), z.literal("end"), z.number().int()]).optional(),
});

/** A duration as people read it: 4.2 s, 12 min, 3.5 h, 2.0 d. */
export const duration = (seconds: number): string => {
  if (seconds < 60) return `${Math.round(seconds * 10) / 10} s`;
  if (seconds < 3600) return `${Math.round(seconds / 60)} min`;
  if (seconds < 86_400) return `${Math.round(seconds / 360) / 10} h`;
  return `${Math.round(seconds / 8640) / 10} d`;
};

const rows = (consumers: readonly ConsumerStatus[]) =>
  consumers.map((c) => ({
    consumer: c.name,
    position: c.position,
    head: c.head,
    "lag (events)": c.lagEvents,
    "lag (time)": c.lagEvents === 0 ? "—" : duration(c.lagSeconds),
    moved: c.updatedAt,
    holder: c.lease === null ? "—" : c.lease.live ? c.lease.holder : `${c.lease.holder} (expired)`,
    "lease until": c.lease?.expiresAt ?? "—",
  }));

export const registerConsumers = (program: Command, { io, action }: Cli): void => {
  const consumers = program
    .command("consumers")
    .description("the log's named consumers: position, lag in events and in time, lease holder; `reset`, `delete`")
    .addHelpText(
      "after",
      `
A consumer is created by its first run (artist-store follow --consumer NAME, or runConsumer in
code). Lag in events counts the events after its checkpoint; lag in time is the age of the
oldest of them. reset and delete refuse while a process holds the consumer's lease (--force
makes that process stop with LEASE_LOST at its next checkpoint).`,
    );

  withCommon(
    consumers.command("list", { isDefault: true }).description("every consumer with its lag and lease"),
  ).action(
    action((raw: unknown) => {
      const opts = Options.parse(raw);
      const store = openCliStore(io, opts.db);
      try {
        const all = listConsumers(store);
        if (opts.json) printJson(io, all);
        else io.out(table(io, rows(all)));
        return EXIT.ok;
      } finally {
        store.close();
      }
    }),
  );

  withCommon(
    consumers
      .command("reset")
      .description("put a consumer back at the beginning, at the end, or before a position (the next one it gets)")
      .argument("<name>", "the consumer")
      .requiredOption("--from <start>", "beginning, end, or the next position to deliver", startArg)
      .option("--force", "even while a process holds its lease"),
  ).action(
    action((name: string, raw: unknown) => {
      const opts = Options.parse(raw);
      const store = openCliStore(io, opts.db);
      try {
        const status = resetConsumer(store, name, opts.from ?? "beginning", { force: opts.force });
        if (opts.json) printJson(io, status);
        else
          io.out(
            `${io.color.green("reset")} ${name}: checkpoint at ${status.position} (the log's head is ${status.head})\n`,
          );
        return EXIT.ok;
      } finally {
        store.close();
      }
    }),
  );

  withCommon(
    consumers
      .command("delete")
      .description("forget a consumer and its checkpoint")
      .argument("<name>", "the consumer")
      .option("--force", "even while a process holds its lease"),
  ).action(
    action((name: string, raw: unknown) => {
      const opts = Options.parse(raw);
      const store = openCliStore(io, opts.db);
      try {
        const deleted = deleteConsumer(store, name, { force: opts.force });
        if (opts.json) printJson(io, { deleted: deleted.name, position: deleted.position });
        else io.out(`${io.color.green("deleted")} ${name} (its checkpoint was at ${deleted.position})\n`);
        return EXIT.ok;
      } finally {
        store.close();
      }
    }),
  );
};
