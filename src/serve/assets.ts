import { existsSync, readdirSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, extname, join } from "node:path";
import { packageRoot } from "../db/paths.js";

/**
 * The dashboard's pages and scripts: plain HTML, CSS and ES modules in `web/` at the package root,
 * which a clone and the installed package both have (package.json "files" lists it): no build step.
 */
export const WEB_DIR = join(packageRoot, "web");

const TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".svg": "image/svg+xml",
};

/** The folder of an installed package, found from where Node resolves its entry point. */
const packageDir = (from: string, name: string): string => {
  let dir = dirname(createRequire(from).resolve(name));
  while (!existsSync(join(dir, "package.json")) || !dir.endsWith(join("node_modules", name))) {
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`cannot find the folder of package ${name}`);
    dir = parent;
  }
  return dir;
};

/** Observable Plot's browser bundle and the d3 it needs, from node_modules as installed (d3 as Plot resolves it). */
const vendorFiles = (): Record<string, string> => {
  const plot = packageDir(import.meta.url, "@observablehq/plot");
  const d3 = packageDir(join(plot, "package.json"), "d3");
  return { "plot.js": join(plot, "dist", "plot.umd.min.js"), "d3.js": join(d3, "dist", "d3.min.js") };
};

/** A static file: its bytes and content type. */
export interface Asset {
  body: Uint8Array;
  type: string;
}

/**
 * The dashboard's static files, read once: every file of web/ (by its path under it) and the two
 * vendor bundles. Only these names are served: a request names a key of this table, never a path.
 * @example const assets = loadAssets(); assets.web.get("app.js")
 */
export const loadAssets = (): { web: Map<string, Asset>; vendor: Map<string, Asset> } => {
  const web = new Map<string, Asset>();
  const walk = (dir: string, prefix: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      if (entry.isDirectory()) walk(join(dir, entry.name), `${prefix}${entry.name}/`);
      else if (entry.isFile() && TYPES[extname(entry.name)] !== undefined)
        web.set(`${prefix}${entry.name}`, {
          body: readFileSync(join(dir, entry.name)),
          type: TYPES[extname(entry.name)] ?? "",
        });
    }
  };
  walk(WEB_DIR, "");
  const vendor = new Map<string, Asset>();
  for (const [name, file] of Object.entries(vendorFiles()))
    vendor.set(name, { body: readFileSync(file), type: TYPES[".js"] ?? "" });
  return { web, vendor };
};
