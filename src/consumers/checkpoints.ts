import { randomUUID } from "node:crypto";
import { hostname } from "node:os";
import { z } from "zod";
import type { Db } from "../db/connection.js";
import { StoreError } from "../db/errors.js";
import { isSqliteError, messageOf, withBusyRetry } from "../db/sqliteErrors.js";
import { prepareHeadPosition } from "../events/readEvents.js";

/**
 * Where a new consumer starts (or where a reset puts it): the first event of the log, only
 * events appended from now on, or the first position to deliver (as `events --from`).
 * @example runConsumer(store, { name: "exporter", from: "end", handle })
 */
export type ConsumerStart = "beginning" | "end" | number;

const Row = z.object({
  name: z.string(),
  position: z.number().int(),
  resets: z.number().int(),
  createdAt: z.string(),
  updatedAt: z.string(),
  leaseHolder: z.string().nullable(),
  leaseExpiresAt: z.string().nullable(),
});
/** One row of the consumers table, renamed in the SELECT. */
export type CheckpointRow = z.output<typeof Row>;

const COLUMNS = `name, position, resets, created_at AS createdAt, updated_at AS updatedAt,
  lease_holder AS leaseHolder, lease_expires_at AS leaseExpiresAt`;

/** A holder name an operator can trace to a process: host, pid and a random suffix (two runners in one process differ). */
export const defaultHolder = (): string => `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;

const iso = (ms: number) => new Date(ms).toISOString();

/** Check a consumer name given at a boundary: what the table's CHECK accepts, as a StoreError. */
export const checkConsumerName = (name: unknown): string => {
  if (typeof name !== "string" || name.length < 1 || name.length > 200 || /\p{Cc}/u.test(name))
    throw new StoreError(
      "INVALID_ARGUMENT",
      `consumer name must be 1 to 200 characters without control characters, got ${JSON.stringify(name)}`,
      { name },
    );
  return name;
};

/** The checkpoint a start point means against a log whose head is `head`: the position before the first one delivered. */
export const startCheckpoint = (start: ConsumerStart, head: number): number => {
  if (start === "beginning") return 0;
  if (start === "end") return head;
  if (!Number.isSafeInteger(start) || start < 1 || start > head + 1)
    throw new StoreError(
      "INVALID_ARGUMENT",
      `start position must be an integer from 1 to ${head + 1} (the log's head is ${head}), got ${start}`,
      { start, head },
    );
  return start - 1;
};

/**
 * The triggers of the consumers table refuse a checkpoint that moves backwards or past the head. The
 * code checks both before it writes, so a trigger firing means a foreign writer raced it: say so as a StoreError.
 */
const guarded = <T>(write: () => T, name: string): T => {
  try {
    return withBusyRetry(write);
  } catch (e) {
    if (isSqliteError(e, "SQLITE_CONSTRAINT") && messageOf(e).includes("consumers:"))
      throw new StoreError("INVALID_ARGUMENT", `consumer ${name}: ${messageOf(e).replace(/^consumers: /, "")}`, {
        name,
      });
    throw e;
  }
};

/**
 * Statements on the consumers table, prepared once per connection. Every write is its own
 * BEGIN IMMEDIATE transaction (or joins the caller's), with the store's busy retry.
 * @example const checkpoints = createCheckpoints(store.db); checkpoints.get("exporter")?.position
 */
export const createCheckpoints = (db: Db) => {
  const head = prepareHeadPosition(db);
  const select = db.prepare(`SELECT ${COLUMNS} FROM consumers WHERE name = ?`);
  const selectAll = db.prepare(`SELECT ${COLUMNS} FROM consumers ORDER BY name`);
  const insert = db.prepare(
    `INSERT INTO consumers (name, position, created_at, updated_at) VALUES (@name, @position, @now, @now)
     ON CONFLICT (name) DO NOTHING`,
  );
  // Free, already ours, or expired: a crashed holder's lease lapses and another process takes it over.
  const acquire = db.prepare(
    `UPDATE consumers SET lease_holder = @holder, lease_expires_at = @expires
     WHERE name = @name AND (lease_holder IS NULL OR lease_holder = @holder OR lease_expires_at <= @now)`,
  );
  const renew = db.prepare(
    `UPDATE consumers SET lease_expires_at = @expires WHERE name = @name AND lease_holder = @holder`,
  );
  const release = db.prepare(
    `UPDATE consumers SET lease_holder = NULL, lease_expires_at = NULL WHERE name = @name AND lease_holder = @holder`,
  );
  // The fence: only the holder moves the checkpoint, and only from where it read it.
  const advance = db.prepare(
    `UPDATE consumers SET position = @to, updated_at = @now, lease_expires_at = @expires
     WHERE name = @name AND lease_holder = @holder AND position = @from`,
  );
  const reset = db.prepare(
    `UPDATE consumers SET position = @position, resets = resets + 1, updated_at = @now,
       lease_holder = NULL, lease_expires_at = NULL
     WHERE name = @name`,
  );
  const remove = db.prepare(`DELETE FROM consumers WHERE name = ?`);

  const get = (name: string): CheckpointRow | undefined => {
    const row = select.get(name);
    return row === undefined ? undefined : Row.parse(row);
  };
  const mustGet = (name: string): CheckpointRow => {
    const row = get(name);
    if (!row) throw new StoreError("CONSUMER_NOT_FOUND", `no consumer named ${JSON.stringify(name)}`, { name });
    return row;
  };
  /** Whether the row's lease is held by someone at time `now` (ms). */
  const liveLease = (row: CheckpointRow, now: number) =>
    row.leaseHolder !== null && row.leaseExpiresAt !== null && row.leaseExpiresAt > iso(now);
  const refuseLeased = (row: CheckpointRow, what: string, force: boolean) => {
    if (!force && liveLease(row, Date.now()))
      throw new StoreError(
        "CONSUMER_LEASED",
        `cannot ${what} consumer ${row.name}: it is running (lease held by ${row.leaseHolder} until ${row.leaseExpiresAt}); ` +
          "stop it first, or force it (the holder then stops with LEASE_LOST at its next checkpoint)",
        { name: row.name, holder: row.leaseHolder, expiresAt: row.leaseExpiresAt },
      );
  };

  return {
    get,
    mustGet,
    all: (): CheckpointRow[] => selectAll.all().map((r) => Row.parse(r)),
    headPosition: head,
    liveLease,
    /** Create the consumer at its start point unless it exists; return its row either way. */
    ensure: (name: string, start: ConsumerStart): { row: CheckpointRow; created: boolean } =>
      guarded(
        () =>
          db
            .transaction(() => {
              const existing = get(checkConsumerName(name));
              if (existing) return { row: existing, created: false };
              insert.run({ name, position: startCheckpoint(start, head()), now: iso(Date.now()) });
              return { row: mustGet(name), created: true };
            })
            .immediate(),
        name,
      ),
    /** Take the lease if it is free, ours or expired: the row after, and whether we hold it. */
    acquire: (name: string, holder: string, leaseMs: number): { row: CheckpointRow; acquired: boolean } =>
      guarded(
        () =>
          db
            .transaction(() => {
              const now = Date.now();
              const changed = acquire.run({ name, holder, now: iso(now), expires: iso(now + leaseMs) }).changes;
              return { row: mustGet(name), acquired: changed === 1 };
            })
            .immediate(),
        name,
      ),
    /** Extend our lease; false when it is no longer ours. */
    renew: (name: string, holder: string, leaseMs: number): boolean =>
      guarded(() => renew.run({ name, holder, expires: iso(Date.now() + leaseMs) }).changes === 1, name),
    release: (name: string, holder: string): void => {
      guarded(() => release.run({ name, holder }), name);
    },
    /**
     * Move the checkpoint from `from` to `to` as holder `holder`, renewing the lease. Inside the caller's
     * transaction when there is one (exactly-once handlers). LEASE_LOST when the lease is no longer ours.
     */
    advance: (name: string, holder: string, leaseMs: number, from: number, to: number): void =>
      guarded(
        () =>
          db
            .transaction(() => {
              const at = head();
              if (to < from || to > at)
                throw new StoreError(
                  "INVALID_ARGUMENT",
                  `consumer ${name}: cannot move the checkpoint from ${from} to ${to} (the log's head is ${at})`,
                  { name, from, to, head: at },
                );
              const now = Date.now();
              const changed = advance.run({
                name,
                holder,
                from,
                to,
                now: iso(now),
                expires: iso(now + leaseMs),
              }).changes;
              if (changed === 1) return;
              const row = get(name);
              throw new StoreError(
                "LEASE_LOST",
                row === undefined
                  ? `consumer ${name} was deleted while ${holder} ran it: the checkpoint did not move`
                  : `consumer ${name} is no longer held by ${holder} (holder ${row.leaseHolder ?? "none"}, checkpoint ${row.position}): ` +
                      `the checkpoint did not move to ${to}`,
                { name, holder, from, to, actualHolder: row?.leaseHolder ?? null, actualPosition: row?.position },
              );
            })
            .immediate(),
        name,
      ),
    /** Put the consumer at a start point (backwards or forwards); refused while another process runs it unless `force`. */
    reset: (name: string, start: ConsumerStart, { force = false }: { force?: boolean } = {}): CheckpointRow =>
      guarded(
        () =>
          db
            .transaction(() => {
              refuseLeased(mustGet(name), "reset", force);
              reset.run({ name, position: startCheckpoint(start, head()), now: iso(Date.now()) });
              return mustGet(name);
            })
            .immediate(),
        name,
      ),
    /** Forget the consumer; refused while another process runs it unless `force`. */
    remove: (name: string, { force = false }: { force?: boolean } = {}): CheckpointRow =>
      guarded(
        () =>
          db
            .transaction(() => {
              const row = mustGet(name);
              refuseLeased(row, "delete", force);
              remove.run(name);
              return row;
            })
            .immediate(),
        name,
      ),
  };
};
export type Checkpoints = ReturnType<typeof createCheckpoints>;
