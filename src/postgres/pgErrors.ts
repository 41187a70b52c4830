import pg from "pg";
import { StoreError } from "../db/errors.js";
import { messageOf } from "../db/sqliteErrors.js";
import { redactedUrl } from "./url.js";

/**
 * The one place that understands what the pg driver throws: a server error (DatabaseError,
 * with its SQLSTATE `code`) or a connection failure (a Node system error). Everything else
 * goes on as it is.
 */
export const sqlState = (e: unknown): string | undefined => (e instanceof pg.DatabaseError ? e.code : undefined);

/** SQLSTATE classes and codes the store names. */
const CONNECTION = /^(08|57P0[1-3])/;
const READ_ONLY = "25006";
const INSUFFICIENT_PRIVILEGE = "42501";
const UNDEFINED_TABLE = "42P01";

/**
 * A caught failure of a statement on `url` as the store reports it: one StoreError with a code
 * the SQLite store uses too, naming what failed; a StoreError already made goes on unchanged.
 * @example catch (e) { throw asPostgresFailure(e, url); }
 */
export const asPostgresFailure = (e: unknown, url: string): StoreError => {
  if (e instanceof StoreError) return e;
  const where = redactedUrl(url);
  const state = sqlState(e);
  const message = messageOf(e);
  const details = { url: where, errorCode: state ?? (e instanceof Error && "code" in e ? String(e.code) : undefined) };
  if (state === READ_ONLY || state === INSUFFICIENT_PRIVILEGE)
    return new StoreError("READ_ONLY", `cannot write to ${where}: ${message}`, details, { cause: e });
  if (state === UNDEFINED_TABLE)
    return new StoreError(
      "SCHEMA_MISSING",
      `database ${where} has no ai-artist-store schema (${message}): run \`npx artist-store migrate --db ${where}\``,
      details,
      { cause: e },
    );
  if (state !== undefined && CONNECTION.test(state))
    return new StoreError("STORE_BUSY", `lost the connection to ${where}: ${message}`, details, { cause: e });
  if (state === undefined && e instanceof Error && "code" in e)
    return new StoreError("STORE_BUSY", `cannot reach ${where}: ${message}`, details, { cause: e });
  return new StoreError("INTERNAL", `PostgreSQL failed on ${where}: ${message}`, details, { cause: e });
};
