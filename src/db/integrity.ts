import type { Db } from "./connection.js";
import { isSqliteError, messageOf } from "./sqliteErrors.js";

/**
 * SQLite's integrity_check (or the faster quick_check): the problems it reports, [] when the file is sound.
 * @example if (integrityProblems(db).length) throw new Error("corrupt");
 */
export const integrityProblems = (
  db: Db,
  { quick = false, max = 20 }: { quick?: boolean; max?: number } = {},
): string[] => {
  let rows: unknown;
  try {
    rows = db.pragma(`${quick ? "quick_check" : "integrity_check"}(${max})`, { simple: false });
  } catch (e) {
    // Damage bad enough stops the check itself with SQLITE_CORRUPT: that is its verdict.
    if (isSqliteError(e, "SQLITE_CORRUPT")) return [messageOf(e)];
    throw e;
  }
  const messages = Array.isArray(rows) ? rows.map((r) => String(Object.values(r ?? {})[0])) : [];
  return messages.length === 1 && messages[0] === "ok" ? [] : messages;
};
