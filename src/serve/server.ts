import { serve } from "@hono/node-server";
import { openStore } from "../store/openStore.js";
import { createDashboardApp, type DashboardOptions } from "./app.js";

/**
 * Where and how to serve: the database (opened read-only), the address, and the app's options.
 * @example startDashboard({ url: "data/ai_artist.db", port: 4173, host: "127.0.0.1", imagesDir: "data/images" })
 */
export interface StartDashboardOptions extends Omit<DashboardOptions, "store" | "allowedHosts"> {
  /** `sqlite:path` URL or a plain path (default: DATABASE_URL, else sqlite:data/ai_artist.db). */
  url?: string;
  /** 0 picks a free port. */
  port: number;
  host: string;
  onWarning?: (message: string) => void;
}

/** A running dashboard: its URL, and close() to stop serving and close the database. */
export interface RunningDashboard {
  url: string;
  port: number;
  /** The database file served. */
  path: string;
  close(): Promise<void>;
}

/** The names a browser uses for a loopback address. */
const LOOPBACK_NAMES = ["127.0.0.1", "localhost", "[::1]"];

/**
 * Open the database read-only and serve the dashboard on host:port until close().
 * @example const dashboard = await startDashboard({ port: 0, host: "127.0.0.1" }); console.log(dashboard.url); await dashboard.close();
 */
export const startDashboard = async (options: StartDashboardOptions): Promise<RunningDashboard> => {
  const store = openStore({ url: options.url, readOnly: true, longLived: true, onWarning: options.onWarning });
  const shown = options.host.includes(":") ? `[${options.host}]` : options.host;
  // Bound to a loopback address, it answers only to loopback names: a web page cannot reach it by DNS rebinding.
  const loopback = LOOPBACK_NAMES.includes(shown);
  const dashboard = createDashboardApp({ ...options, store, allowedHosts: loopback ? LOOPBACK_NAMES : undefined });
  try {
    const server = serve({ fetch: dashboard.app.fetch, port: options.port, hostname: options.host });
    await new Promise<void>((resolve, reject) => {
      server.once("listening", resolve);
      server.once("error", reject);
    });
    const address = server.address();
    const port = typeof address === "object" && address !== null ? address.port : options.port;
    return {
      url: `http://${shown}:${port}/`,
      port,
      path: store.path,
      close: () =>
        new Promise<void>((resolve) => {
          server.close(() => {
            dashboard.close();
            store.close();
            resolve();
          });
          if ("closeAllConnections" in server) server.closeAllConnections();
        }),
    };
  } catch (e) {
    dashboard.close();
    store.close();
    throw e;
  }
};
