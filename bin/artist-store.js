#!/usr/bin/env node
// The artist-store command. An installed package runs the compiled CLI in dist/;
// a clone of the repository (TypeScript sources and tsx present) runs the sources
// through tsx, so `npx artist-store` needs no build step there and is never stale.
import { existsSync } from "node:fs";

const source = new URL("../scripts/artist-store.ts", import.meta.url);
const tsx = existsSync(source) ? await import("tsx/esm/api").catch(() => undefined) : undefined;
if (tsx) {
  tsx.register();
  await import(source.href);
} else {
  await import("../dist/scripts/artist-store.js");
}
