import { existsSync } from "node:fs";
import { join, resolve } from "node:path";
import type { Command } from "commander";
import { z } from "zod";
import { openConnection } from "../../db/connection.js";
import { StoreError } from "../../db/errors.js";
import {
  knownMigrations,
  type MigrationStatus,
  migrationFiles,
  migrationStatus,
  newMigration,
  runDbmate,
} from "../../db/migrations.js";
import { cliCommand, migrationsDir } from "../../db/paths.js";
import { migrateDatabase } from "../../events/backfillChain.js";
import { type Cli, EXIT, printJson, resolveDb, UsageError, withCommon } from "../common.js";
import { table } from "../format.js";
import { migratePostgres, postgresTarget } from "../postgres.js";
import { commandProgress } from "../progress.js";

const Options = z.object({ db: z.string().optional(), json: z.boolean().optional() });

/** The migration status of a database file; a file that does not exist has every migration pending. */
export const readMigrationStatus = (path: string): MigrationStatus => {
  if (!existsSync(path)) return { applied: [], pending: knownMigrations(), unknown: [] };
  // Read-write, though it only reads: a read-only connection cannot remove the -wal and -shm files it opens.
  const db = openConnection(path);
  try {
    return migrationStatus(db);
  } finally {
    db.close();
  }
};

const migrationNames = (): Map<string, string> => new Map(migrationFiles().map((m) => [m.version, m.name]));

export const registerMigrate = (program: Command, { io, action }: Cli): void => {
  const migrate = program
    .command("migrate")
    .description("apply pending migrations (dbmate); `migrate status`, `migrate rollback`")
    .addHelpText("after", "\nWithout a subcommand, `migrate` is `migrate up`: it creates the database file if needed.");

  withCommon(
    migrate
      .command("up", { isDefault: true })
      .description(
        "apply every pending migration, creating the database if needed, then compute the chain hash of events that lack one",
      ),
  ).action(
    action((raw: unknown) => {
      const opts = Options.parse(raw);
      const pg = postgresTarget(opts.db);
      if (pg) return migratePostgres(io, pg, "up", opts.json);
      const path = resolveDb(opts.db);
      const before = readMigrationStatus(path);
      const progress = commandProgress(io, "chain", "events");
      try {
        const { hashed } = migrateDatabase(path, { onProgress: progress.onProgress });
        const applied = before.pending;
        const chained = hashed > 0 ? `; computed the chain hash of ${hashed} event(s) already in the log` : "";
        progress.finish(
          opts.json
            ? JSON.stringify({ path, applied, chained: hashed }, null, 2)
            : applied.length
              ? `${path}: applied ${applied.join(", ")}${chained}`
              : `${path}: already up to date${chained}`,
        );
      } finally {
        progress.stop();
      }
      return EXIT.ok;
    }),
  );

  withCommon(
    migrate.command("status").description("list applied and pending migrations (exit 1 if any are pending or unknown)"),
  ).action(
    action((raw: unknown) => {
      const opts = Options.parse(raw);
      const pg = postgresTarget(opts.db);
      if (pg) return migratePostgres(io, pg, "status", opts.json);
      const path = resolveDb(opts.db);
      const status = readMigrationStatus(path);
      const drift = status.pending.length > 0 || status.unknown.length > 0;
      if (opts.json) printJson(io, { path, exists: existsSync(path), ...status, current: !drift });
      else {
        const names = migrationNames();
        const rows = [
          ...status.applied.map((v) => ({
            version: v,
            name: names.get(v) ?? "(unknown to this code)",
            state: status.unknown.includes(v) ? io.color.red("unknown") : io.color.green("applied"),
          })),
          ...status.pending.map((v) => ({ version: v, name: names.get(v) ?? "", state: io.color.yellow("pending") })),
        ];
        io.out(`${path}${existsSync(path) ? "" : " (does not exist yet)"}\n${table(io, rows)}`);
        if (status.pending.length) io.out(`${status.pending.length} pending: run \`${cliCommand("migrate", path)}\`\n`);
        if (status.unknown.length)
          io.out(`${status.unknown.length} applied migration(s) unknown to this code: the database is newer than it\n`);
      }
      return drift ? EXIT.failure : EXIT.ok;
    }),
  );

  withCommon(
    migrate
      .command("dump")
      .description("write the database's schema as SQL (dbmate dump; needs the sqlite3 program)")
      .option("--schema-file <file>", "where to write it (default: schema.sql in the working directory)"),
    { json: false },
  ).action(
    action((raw: unknown) => {
      const opts = Options.extend({ schemaFile: z.string().optional() }).parse(raw);
      const path = resolveDb(opts.db);
      if (!existsSync(path))
        throw new StoreError("SCHEMA_MISSING", `database ${path} does not exist: nothing to dump`, { path });
      const file = resolve(opts.schemaFile ?? "schema.sql");
      runDbmate(path, ["dump"], { dumpSchema: true, schemaFile: file });
      io.out(`${path}: schema written to ${file}\n`);
      return EXIT.ok;
    }),
  );

  migrate
    .command("new")
    .description("create a migration file <version>_<name>.sql in this package's db/migrations (dbmate new)")
    .argument("<name>", "what the migration does, in snake_case (create_consumers)")
    .action(
      action((name: string) => {
        if (!/^[a-z0-9_]+$/.test(name))
          throw new UsageError(`migration name "${name}": use lower-case letters, digits and underscores`);
        io.out(`created ${join(migrationsDir, `${newMigration(name)}.sql`)}\n`);
        return EXIT.ok;
      }),
    );

  withCommon(
    migrate.command("rollback").description("roll back the newest applied migration (its -- migrate:down)"),
  ).action(
    action((raw: unknown) => {
      const opts = Options.parse(raw);
      const pg = postgresTarget(opts.db);
      if (pg) return migratePostgres(io, pg, "rollback", opts.json);
      const path = resolveDb(opts.db);
      if (!existsSync(path))
        throw new StoreError("SCHEMA_MISSING", `database ${path} does not exist: nothing to roll back`, { path });
      const before = readMigrationStatus(path);
      const newest = before.applied.at(-1);
      if (newest === undefined)
        throw new StoreError("SCHEMA_MISSING", `database ${path} has no applied migrations: nothing to roll back`, {
          path,
        });
      runDbmate(path, ["rollback"]);
      if (opts.json) printJson(io, { path, rolledBack: newest });
      else io.out(`${path}: rolled back ${migrationNames().get(newest) ?? newest}\n`);
      return EXIT.ok;
    }),
  );
};
