import { statSync } from "node:fs";
import { dirname, join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { FILE_MODE_ENV, fileModes } from "../../src/db/files.js";
import { openStore } from "../../src/index.js";
import { backupDatabase } from "../../src/maintenance/backup.js";
import { restoreDatabase } from "../../src/maintenance/restore.js";
import { createScratch } from "../../src/replay/scratch.js";
import { expectStoreError, tempDir } from "../support.js";

const mode = (path: string) => (statSync(path).mode & 0o777).toString(8).padStart(4, "0");

/** Every file and folder a store's life creates: the database and its side files, a backup, a restore's kept copy, a scratch. */
const modesOfEverything = async () => {
  const root = join(tempDir(), "data");
  const path = join(root, "store", "ai_artist.db");
  const store = openStore({ url: path, migrate: true });
  store.emit.batchStarted({ batchId: "b1" });
  const live = { db: mode(path), wal: mode(`${path}-wal`), shm: mode(`${path}-shm`), folder: mode(dirname(path)) };
  store.close();
  const backup = await backupDatabase(path);
  const restored = await restoreDatabase(backup.file, path);
  const scratch = createScratch(path);
  const scratchModes = { db: mode(scratch.path), folder: mode(dirname(scratch.path)) };
  scratch.dispose();
  return {
    parentFolder: mode(root),
    live,
    backup: { file: mode(backup.file), folder: mode(dirname(backup.file)) },
    kept: mode(restored.replacedKeptAt ?? ""),
    scratch: scratchModes,
  };
};

describe("file modes", () => {
  const saved = { umask: process.umask(), env: process.env[FILE_MODE_ENV] };
  afterEach(() => {
    process.umask(saved.umask);
    if (saved.env === undefined) delete process.env[FILE_MODE_ENV];
    else process.env[FILE_MODE_ENV] = saved.env;
  });

  it("creates the database, its -wal and -shm, backups and kept copies owner-only (0600), in 0700 folders", async () => {
    delete process.env[FILE_MODE_ENV];
    process.umask(0o022);
    expect(await modesOfEverything()).toEqual({
      parentFolder: "0700",
      live: { db: "0600", wal: "0600", shm: "0600", folder: "0700" },
      backup: { file: "0600", folder: "0700" },
      kept: "0600",
      scratch: { db: "0600", folder: "0700" },
    });
  });

  it(`uses ${FILE_MODE_ENV} when set (folders get x where it grants r), whatever the umask`, async () => {
    process.env[FILE_MODE_ENV] = "0640";
    process.umask(0o077);
    expect(await modesOfEverything()).toEqual({
      parentFolder: "0750",
      live: { db: "0640", wal: "0640", shm: "0640", folder: "0750" },
      backup: { file: "0640", folder: "0750" },
      kept: "0640",
      // A scratch folder is always private: it lives for one replay.
      scratch: { db: "0640", folder: "0700" },
    });
  });

  it(`refuses a ${FILE_MODE_ENV} that is not a mode, or that locks the owner out`, () => {
    expect(fileModes({ [FILE_MODE_ENV]: "660" })).toEqual({ file: 0o660, dir: 0o770 });
    expectStoreError(
      () => fileModes({ [FILE_MODE_ENV]: "rw-r-----" }),
      "INVALID_ARGUMENT",
      /^ARTIST_STORE_FILE_MODE=rw-r----- is not a file mode: expected three octal digits such as 0600 or 0640$/,
    );
    expectStoreError(
      () => fileModes({ [FILE_MODE_ENV]: "0440" }),
      "INVALID_ARGUMENT",
      /^ARTIST_STORE_FILE_MODE=0440 must let the owner read and write \(0600 at least\)$/,
    );
  });
});
