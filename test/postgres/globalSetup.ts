import type { TestProject } from "vitest/node";
import { startScratchServer } from "../../scripts/postgresScratch.js";

declare module "vitest" {
  export interface ProvidedContext {
    /** A superuser URL of the one PostgreSQL server of the run (its `postgres` database). */
    postgresAdminUrl: string;
  }
}

/**
 * One PostgreSQL server for the whole run of the postgres project (vitest runs a project's
 * global setup only when it has test files to run, so the SQLite suite never starts it):
 * data in a fresh owner-only temp folder, a free port, TCP on 127.0.0.1 only. The teardown
 * vitest returns to stops it and removes the folder, whether the tests passed or failed.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const { url, stop } = await startScratchServer();
  project.provide("postgresAdminUrl", url);
  return stop;
}
