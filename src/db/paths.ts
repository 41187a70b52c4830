import { existsSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { StoreError } from "./errors.js";

/**
 * The default database, in dbmate's own URL convention.
 * @example openStore({ url: process.env.DATABASE_URL ?? DEFAULT_DATABASE_URL })
 */
export const DEFAULT_DATABASE_URL = "sqlite:data/ai_artist.db";

/**
 * The project root (where db/migrations lives), found by walking up from this
 * file: the same code runs from src/ under tsx and from dist/src/ once built.
 */
export const packageRoot = (() => {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, "db", "migrations"))) {
    const parent = dirname(dir);
    if (parent === dir)
      throw new Error(`ai-artist-store: cannot find db/migrations above ${fileURLToPath(import.meta.url)}`);
    dir = parent;
  }
  return dir;
})();

/** The SQLite migrations (dbmate tracks applied versions, not folders: databases migrated from the flat db/migrations still open). */
export const migrationsDir = join(packageRoot, "db", "migrations", "sqlite");
export const schemaFile = join(packageRoot, "db", "schema.sql");
/** The PostgreSQL migrations, the same versions in PostgreSQL's dialect where they matter. */
export const postgresMigrationsDir = join(packageRoot, "db", "migrations", "postgres");
export const postgresSchemaFile = join(packageRoot, "db", "schema.postgres.sql");

/** The URL schemes a database may be named with (dbmate's SQLite driver registers both). */
export const SUPPORTED_SCHEMES = ["sqlite:", "sqlite3:"] as const;

const SCHEME = /^([A-Za-z][A-Za-z0-9+.-]*):/;

/** A URL as it may be printed: no user or password. */
const redacted = (url: string): string => url.replace(/^([A-Za-z][A-Za-z0-9+.-]*:\/\/)[^@/]*@/, "$1…@");

/**
 * The file a `sqlite:` URL names, by dbmate's rules (its SQLite driver's normalizeSQLiteURL): `sqlite:rel/path`
 * (relative), `sqlite:/abs`, `sqlite:///abs`, and `sqlite://abs`, where the "host" is the first folder of an absolute
 * path; a query (`?…`) is the driver's options, not part of the name. Percent escapes are refused: dbmate's driver
 * decodes them twice (`%2541` opens `A`), so no spelling of them names the same file for both.
 */
const sqliteUrlPath = (url: string, rest: string, cwd: string): string => {
  const refuse = (why: string): never => {
    throw new StoreError("INVALID_ARGUMENT", `database URL ${url}: ${why}`, { url });
  };
  if (rest.includes("%"))
    refuse("percent escapes are not supported in a sqlite: URL (dbmate decodes them twice); pass the path with --db");
  let raw = rest.split("?")[0] ?? "";
  if (raw.startsWith("//")) {
    const slash = raw.indexOf("/", 2);
    const host = slash < 0 ? raw.slice(2) : raw.slice(2, slash);
    const path = slash < 0 ? "" : raw.slice(slash);
    raw = host === "" ? path : `/${host}${path}`;
  }
  raw = raw.replace(/^\/+/, "/");
  if (raw === "" || raw === "/") refuse("it names no file");
  return resolve(cwd, raw);
};

/**
 * The absolute file path a database argument names. A `sqlite:`/`sqlite3:` URL is read as dbmate reads it; any
 * other scheme is refused, naming the supported ones; anything else is a plain path, taken byte for byte (a relative
 * one against the working directory; write `./name` for a file whose name looks like `scheme:`).
 * @example databasePath("sqlite:data/ai_artist.db") // "/home/me/project/data/ai_artist.db"
 * @example databasePath("/srv/q?x.db") // "/srv/q?x.db"
 */
export const databasePath = (urlOrPath: string, cwd: string = process.cwd()): string => {
  const scheme = SCHEME.exec(urlOrPath)?.[1];
  if (scheme === undefined) {
    if (urlOrPath === "") throw new StoreError("INVALID_ARGUMENT", "the database path is empty", {});
    return resolve(cwd, urlOrPath);
  }
  if (SUPPORTED_SCHEMES.some((s) => s === `${scheme.toLowerCase()}:`))
    return sqliteUrlPath(urlOrPath, urlOrPath.slice(scheme.length + 1), cwd);
  if (/^postgres(ql)?$/i.test(scheme))
    throw new StoreError(
      "INVALID_ARGUMENT",
      `${redacted(urlOrPath)} names a PostgreSQL database: this works on a SQLite file only ` +
        "(on PostgreSQL: openAsyncStore, and the commands migrate, emit, events, query, doctor and rebuild)",
      { scheme },
    );
  throw new StoreError(
    "INVALID_ARGUMENT",
    `unsupported database URL ${redacted(urlOrPath)}: the supported schemes are ${SUPPORTED_SCHEMES.join(" and ")} ` +
      "(a plain file path needs none)",
    { scheme },
  );
};

/** The database the environment names: `DATABASE_URL`, else `sqlite:data/ai_artist.db`. */
export const databasePathFromEnv = (env: Readonly<Record<string, string | undefined>> = process.env): string =>
  databasePath(env.DATABASE_URL && env.DATABASE_URL.trim() !== "" ? env.DATABASE_URL : DEFAULT_DATABASE_URL);

/**
 * How the person at the command line named each database they opened (absolute path to the `--db` as typed, or the
 * `DATABASE_URL` as given; undefined for the default): fix hints repeat it, so that they can be pasted where it was
 * typed. Only the CLI fills it; a library caller's hints name the absolute path.
 */
const namedAs = new Map<string, string | undefined>();

/**
 * Remember how the command line named this database, for the hints made about it (see cliCommand).
 * @example rememberTypedName(databasePath("data/a.db"), "data/a.db")
 */
export const rememberTypedName = (path: string, typed: string | undefined): void => {
  namedAs.set(path, typed);
};

const shellWord = (word: string): string =>
  /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replaceAll("'", `'\\''`)}'`;

/**
 * The command line that runs an artist-store command on this database, as a user of the installed package types it:
 * what error hints name. The database is named as the command line named it (rememberTypedName), else by its path;
 * it is quoted for a POSIX shell when it needs to be.
 * @example cliCommand("rebuild", "/srv/ai_artist.db") // "npx artist-store rebuild --db /srv/ai_artist.db"
 */
export const cliCommand = (command: string, path: string): string => {
  const typed = namedAs.has(path) ? namedAs.get(path) : path;
  return typed === undefined ? `npx artist-store ${command}` : `npx artist-store ${command} --db ${shellWord(typed)}`;
};
