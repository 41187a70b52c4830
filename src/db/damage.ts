import { existsSync, readFileSync, realpathSync, rmSync, writeFileSync } from "node:fs";
import { z } from "zod";
import { StoreError } from "./errors.js";
import { createFile } from "./files.js";
import { cliCommand } from "./paths.js";
import { isSqliteError, messageOf, sqliteCode } from "./sqliteErrors.js";

/**
 * A database found damaged (an append met SQLITE_CORRUPT, or doctor's integrity_check
 * failed) is marked by a file beside it, `<db>-damaged`, and not appended to while
 * the mark is there: an append that happens to miss the damaged pages would still
 * add to a file whose indexes no longer match its tables. A successful restore removes
 * the mark. Checking for a file costs one stat per append; a quick_check at every
 * open would cost seconds on a large file (docs/reliability.md).
 */

const DamageMark = z.object({ time: z.string(), reason: z.string(), by: z.string() });
export type DamageMark = z.infer<typeof DamageMark>;

/** The real file a path names (the link's target for a symlink), so every path to one database shares its mark. */
const realFile = (dbPath: string): string => (existsSync(dbPath) ? realpathSync(dbPath) : dbPath);

/**
 * Where the mark of a database lives.
 * @example damageMarkPath("/srv/ai_artist.db") // "/srv/ai_artist.db-damaged"
 */
export const damageMarkPath = (dbPath: string): string => `${realFile(dbPath)}-damaged`;

/** The mark of a database, or undefined when it has none. */
export const readDamageMark = (dbPath: string): DamageMark | undefined => readMark(damageMarkPath(dbPath));

const readMark = (file: string): DamageMark | undefined => {
  if (!existsSync(file)) return undefined;
  const parsed = DamageMark.safeParse(
    (() => {
      try {
        return JSON.parse(readFileSync(file, "utf8"));
      } catch {
        return undefined;
      }
    })(),
  );
  // A mark that cannot be read still marks: its presence is what counts.
  return parsed.success ? parsed.data : { time: "unknown", reason: "the mark file cannot be read", by: "unknown" };
};

/**
 * Mark a database as damaged; an existing mark is kept (it names the first finding).
 * @example markDamaged(store.path, "SQLITE_CORRUPT: database disk image is malformed", "append")
 */
export const markDamaged = (dbPath: string, reason: string, by: string): void => {
  const file = damageMarkPath(dbPath);
  if (existsSync(file)) return;
  try {
    createFile(file);
    // integrity_check's findings span lines ("*** in database main ***\nTree 12 …"): the mark is quoted in one-line errors.
    const oneLine = reason.replace(/\s+/g, " ").trim();
    writeFileSync(file, `${JSON.stringify({ time: new Date().toISOString(), reason: oneLine, by })}\n`);
  } catch {
    // Another process marked it first, or the folder cannot be written: the error that led here is reported anyway.
  }
};

/** Remove a database's mark (after a restore replaced its content). */
export const clearDamageMark = (dbPath: string): void => rmSync(damageMarkPath(dbPath), { force: true });

/** The error of an append refused because the database is marked damaged. */
export const damagedDatabaseError = (dbPath: string, mark: DamageMark): StoreError =>
  new StoreError(
    "CORRUPT_DATABASE",
    `database ${dbPath} is damaged (${mark.by} at ${mark.time}: ${mark.reason}): appends are refused; ` +
      `recover it from the newest backup and what the file still holds (\`${cliCommand("recover", dbPath)}\`), ` +
      `or restore a backup (\`${cliCommand("restore <backup>", dbPath)}\`)`,
    { path: dbPath, mark },
  );

/**
 * What an open store does about damage: refuse to append while the database is
 * marked (one stat per append), and mark it when an append meets SQLITE_CORRUPT.
 * @example const guard = createDamageGuard(path); guard.assertIntact(); try { append() } catch (e) { throw guard.refusal(e) ?? e }
 */
export const createDamageGuard = (dbPath: string) => {
  const file = damageMarkPath(dbPath);
  return {
    /** Throw CORRUPT_DATABASE if the database is marked. */
    assertIntact(): void {
      const mark = readMark(file);
      if (mark) throw damagedDatabaseError(dbPath, mark);
    },
    /** For an error that says the file is corrupt: mark the database and return the refusal to throw instead. */
    refusal(e: unknown): StoreError | undefined {
      if (!isSqliteError(e, "SQLITE_CORRUPT") && !isSqliteError(e, "SQLITE_NOTADB")) return undefined;
      markDamaged(dbPath, `${sqliteCode(e)}: ${messageOf(e)}`, "an append");
      const mark = readMark(file) ?? { time: new Date().toISOString(), reason: messageOf(e), by: "an append" };
      const refusal = damagedDatabaseError(dbPath, mark);
      return new StoreError(refusal.code, refusal.message, refusal.details, { cause: e });
    },
  };
};
