import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { resolveBinary } from "dbmate";
import { describe, expect, it } from "vitest";
import { openConnection } from "../../src/db/connection.js";
import { appliedMigrations, runDbmate } from "../../src/db/migrations.js";
import { databasePath } from "../../src/db/paths.js";
import { expectStoreError, tempDir } from "../support.js";

/** Run the dbmate binary itself on a URL, in a working directory, and return the one file it created in `watched`. */
const dbmateCreates = (url: string, cwd: string, watched = cwd): string => {
  const before = new Set(filesUnder(watched));
  const result = spawnSync(resolveBinary(), ["--url", url, "--no-dump-schema", "create"], { cwd, encoding: "utf8" });
  expect(result.status, result.stderr).toBe(0);
  const created = filesUnder(watched).filter((f) => !before.has(f));
  expect(created).toHaveLength(1);
  return created[0] ?? "";
};

const filesUnder = (dir: string): string[] =>
  readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name));

describe("database URLs, read as dbmate reads them", () => {
  it.each([
    ["sqlite:rel.db", (d: string) => join(d, "rel.db")],
    ["sqlite:sub/../up.db", (d: string) => join(d, "up.db")],
    ["sqlite3:three.db", (d: string) => join(d, "three.db")],
    ["sqlite:ABS/one.db", (d: string) => join(d, "ABS", "one.db")],
    ["sqlite:ABS/q.db?_busy_timeout=10", (d: string) => join(d, "ABS", "q.db")],
    ["sqlite:ABS/h#frag.db", (d: string) => join(d, "ABS", "h#frag.db")],
  ])("%s names the file dbmate creates", (form, expected) => {
    const dir = tempDir();
    mkdirSync(join(dir, "ABS"));
    const url = form.replace("ABS", join(dir, "ABS"));
    const created = dbmateCreates(url, dir);
    expect(created).toBe(expected(dir));
    expect(databasePath(url, dir)).toBe(created);
  });

  it.each([
    ["sqlite:/", "single slash"],
    ["sqlite:///", "three slashes"],
    ["sqlite://", "two slashes, the first folder as host"],
    ["sqlite:////", "four slashes"],
  ])("%sABS/x.db (%s) names the file dbmate creates", (prefix) => {
    const dir = tempDir();
    // `sqlite://tmp/x/a.db` makes `tmp` the URL's host: dbmate reads it as the first folder of an absolute path.
    const url = `${prefix}${dir.slice(1)}/x.db`;
    const created = dbmateCreates(url, tempDir(), dir);
    expect(created).toBe(join(dir, "x.db"));
    expect(databasePath(url)).toBe(created);
  });

  it("refuses percent escapes in a URL, which dbmate decodes twice", () => {
    const dir = tempDir();
    expect(dbmateCreates(`sqlite:${dir}/pct%2541.db`, dir)).toBe(join(dir, "pctA.db"));
    expectStoreError(() => databasePath(`sqlite:${dir}/pct%2541.db`), "INVALID_ARGUMENT", /percent escapes/);
  });

  it("refuses another scheme with one line naming the supported ones, without printing a password", () => {
    expectStoreError(
      () => databasePath("mysql://app:secret@localhost/x"),
      "INVALID_ARGUMENT",
      /^unsupported database URL mysql:\/\/…@localhost\/x: the supported schemes are sqlite: and sqlite3:/,
    );
    expect(() => databasePath("mysql://app:secret@localhost/x")).not.toThrow(/secret/);
    // A PostgreSQL URL names no file: the async store and five commands take it (test/postgres).
    expectStoreError(
      () => databasePath("postgres://app:secret@localhost/x"),
      "INVALID_ARGUMENT",
      /^postgres:\/\/…@localhost\/x names a PostgreSQL database: this works on a SQLite file only/,
    );
  });
});

describe("plain paths", () => {
  it.each(["q?x.db", "pct%41.db", "h#x.db", "sp ace.db", "ünï.db"])(
    "%s is the file's name byte for byte, for the store and for dbmate",
    (name) => {
      const dir = tempDir();
      const path = databasePath(join(dir, name));
      expect(path).toBe(join(dir, name));
      runDbmate(path, ["up"]);
      expect(readdirSync(dir)).toEqual([name]);
      const db = openConnection(path);
      expect(appliedMigrations(db).length).toBeGreaterThan(0);
      db.close();
    },
  );

  it("takes //x/y.db as the absolute path it is, and a relative path against the working directory", () => {
    expect(databasePath("//srv/x/y.db")).toBe("/srv/x/y.db");
    expect(databasePath("data/a.db", "/work")).toBe("/work/data/a.db");
    expect(existsSync(databasePath("package.json"))).toBe(true);
  });
});
