import type { Pool } from "./connection.js";

/**
 * The schema of a migrated PostgreSQL database as SQL text, read from the catalog: what
 * db/schema.postgres.sql commits. pg_dump would do it, but a pg_dump older than the server
 * refuses to run (Debian 12 ships 15, the test server is 18), so the store writes its own:
 * functions, tables (columns, defaults, constraints), indexes, triggers, grants, and the
 * applied migration versions, each in a stable order.
 * @example await writeFile("db/schema.postgres.sql", await dumpPostgresSchema(pool));
 */
export const dumpPostgresSchema = async (pool: Pool): Promise<string> => {
  const out: string[] = [
    "-- The PostgreSQL schema, dumped from the catalog by `npm run db:dump` (see docs/postgres.md).",
  ];
  const all = async (sql: string): Promise<string[]> => (await pool.query<{ s: string }>(sql)).rows.map((r) => r.s);

  out.push(
    ...(await all(`SELECT pg_get_functiondef(p.oid) || ';' AS s FROM pg_proc p
       WHERE p.pronamespace = 'public'::regnamespace ORDER BY p.proname`)),
  );
  const tables = await all(`SELECT c.relname AS s FROM pg_class c
     WHERE c.relnamespace = 'public'::regnamespace AND c.relkind = 'r' ORDER BY c.relname`);
  for (const table of tables) {
    const columns = await all(`SELECT '    ' || quote_ident(a.attname) || ' ' || format_type(a.atttypid, a.atttypmod)
         || CASE WHEN a.attcollation <> t.typcollation THEN ' COLLATE ' || quote_ident(co.collname) ELSE '' END
         || coalesce(' DEFAULT ' || pg_get_expr(d.adbin, d.adrelid), '')
         || CASE WHEN a.attnotnull THEN ' NOT NULL' ELSE '' END AS s
       FROM pg_attribute a
       JOIN pg_type t ON t.oid = a.atttypid
       LEFT JOIN pg_collation co ON co.oid = a.attcollation
       LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
       WHERE a.attrelid = 'public.${table}'::regclass AND a.attnum > 0 AND NOT a.attisdropped
       ORDER BY a.attnum`);
    const constraints =
      await all(`SELECT '    CONSTRAINT ' || quote_ident(conname) || ' ' || pg_get_constraintdef(oid) AS s
       FROM pg_constraint WHERE conrelid = 'public.${table}'::regclass AND contype <> 'n' ORDER BY conname`);
    out.push(`CREATE TABLE ${table} (\n${[...columns, ...constraints].join(",\n")}\n);`);
  }
  out.push(
    ...(await all(`SELECT pg_get_indexdef(i.indexrelid) || ';' AS s FROM pg_index i
       JOIN pg_class c ON c.oid = i.indexrelid
       WHERE c.relnamespace = 'public'::regnamespace
         AND NOT EXISTS (SELECT FROM pg_constraint k WHERE k.conindid = i.indexrelid)
       ORDER BY c.relname`)),
    ...(await all(`SELECT pg_get_triggerdef(t.oid) || ';' AS s FROM pg_trigger t
       JOIN pg_class c ON c.oid = t.tgrelid
       WHERE c.relnamespace = 'public'::regnamespace AND NOT t.tgisinternal ORDER BY c.relname, t.tgname`)),
    ...(await all(`SELECT 'GRANT ' || string_agg(a.privilege_type, ', ' ORDER BY a.privilege_type) || ' ON '
         || c.relname || ' TO ' || quote_ident(r.rolname) || ';' AS s
       FROM pg_class c, aclexplode(c.relacl) a JOIN pg_roles r ON r.oid = a.grantee
       WHERE c.relnamespace = 'public'::regnamespace AND r.rolname = 'artist_store_app'
       GROUP BY c.relname, r.rolname ORDER BY c.relname`)),
  );
  const versions = await all(`SELECT version AS s FROM schema_migrations ORDER BY version`);
  out.push(
    `-- Dbmate schema migrations\nINSERT INTO schema_migrations (version) VALUES\n${versions.map((v) => `  ('${v}')`).join(",\n")};`,
  );
  return `${out.join("\n\n")}\n`;
};
