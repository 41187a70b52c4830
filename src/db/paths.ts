import { existsSync } from "node:fs";
import { dirname, isAbsolute, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

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

export const migrationsDir = join(packageRoot, "db", "migrations");
export const schemaFile = join(packageRoot, "db", "schema.sql");

/**
 * The file path of a `sqlite:` URL (`sqlite:rel/path.db`, `sqlite:/abs.db`,
 * `sqlite:///abs.db`) or of a plain path, made absolute against the working directory.
 * @example databasePath("sqlite:data/ai_artist.db") // "/home/me/project/data/ai_artist.db"
 */
export const databasePath = (urlOrPath: string): string => {
  let p = urlOrPath;
  if (p.startsWith("sqlite:")) p = p.slice("sqlite:".length);
  else if (p.startsWith("sqlite3:")) p = p.slice("sqlite3:".length);
  if (p.startsWith("//")) p = p.slice(2);
  const query = p.indexOf("?");
  if (query >= 0) p = p.slice(0, query);
  if (p === "") throw new Error(`not a SQLite database URL: ${urlOrPath}`);
  return isAbsolute(p) ? p : resolve(process.cwd(), p);
};

/** The database the environment names: `DATABASE_URL`, else `sqlite:data/ai_artist.db`. */
export const databasePathFromEnv = (env: NodeJS.ProcessEnv = process.env): string =>
  databasePath(env.DATABASE_URL && env.DATABASE_URL.trim() !== "" ? env.DATABASE_URL : DEFAULT_DATABASE_URL);

/**
 * The command line that runs an artist-store command on this database, as a user of the installed package types it:
 * what error hints name. The path is quoted for a POSIX shell when it needs to be.
 * @example cliCommand("rebuild", "/srv/ai_artist.db") // "npx artist-store rebuild --db /srv/ai_artist.db"
 */
export const cliCommand = (command: string, path: string): string =>
  `npx artist-store ${command} --db ${/^[\w@%+=:,./-]+$/.test(path) ? path : `'${path.replaceAll("'", `'\\''`)}'`}`;
