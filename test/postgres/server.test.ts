import pg from "pg";
import { describe, expect, it } from "vitest";
import { freshDatabase } from "./database.js";

describe("the test server", () => {
  it("is PostgreSQL 18 and gives each caller its own empty database", async () => {
    const a = await freshDatabase();
    const b = await freshDatabase();
    expect(a).not.toBe(b);
    const client = new pg.Client({ connectionString: a });
    await client.connect();
    try {
      const { rows } = await client.query<{ v: string; tables: string }>(
        `SELECT current_setting('server_version_num') AS v,
                (SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public') AS tables`,
      );
      expect(Number(rows[0]?.v)).toBeGreaterThanOrEqual(180000);
      expect(rows[0]?.tables).toBe("0");
    } finally {
      await client.end();
    }
  });
});
