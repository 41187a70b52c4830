import pg from "pg";
import { afterAll, inject } from "vitest";

let serial = 0;
const created: string[] = [];

/** The admin URL with another database name. */
export const urlOf = (database: string): string => {
  const url = new URL(inject("postgresAdminUrl"));
  url.pathname = `/${database}`;
  return url.toString();
};

const admin = async <T>(fn: (client: pg.Client) => Promise<T>): Promise<T> => {
  const client = new pg.Client({ connectionString: inject("postgresAdminUrl") });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
};

/**
 * A fresh, empty database on the run's server, dropped after the test file, and its URL.
 * Names carry the worker's id and a counter, so files running in parallel never share one.
 */
export const freshDatabase = async (): Promise<string> => {
  serial += 1;
  const name = `t_${process.pid}_${serial}_${Math.random().toString(36).slice(2, 8)}`;
  await admin((c) => c.query(`CREATE DATABASE ${name}`));
  created.push(name);
  return urlOf(name);
};

afterAll(async () => {
  const names = created.splice(0);
  if (names.length > 0)
    await admin(async (c) => {
      for (const name of names) await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    });
});
