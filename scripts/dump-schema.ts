// Regenerate db/schema.sql from the migrations, on a scratch database.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runDbmate } from "../src/db/migrations.js";
import { schemaFile } from "../src/db/paths.js";

const dir = mkdtempSync(join(tmpdir(), "ai-artist-schema-"));
try {
  runDbmate(join(dir, "schema.db"), ["up"], { dumpSchema: true, schemaFile });
  console.log(`wrote ${schemaFile}`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
