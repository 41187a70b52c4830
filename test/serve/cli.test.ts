import { readdirSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { cli, cliProcess, finished, json } from "../cli/run.js";
import { tempDir } from "../support.js";

/** The first line of a child's stdout that holds a URL, once it has printed it. */
const urlOf = (child: ReturnType<typeof cliProcess>): Promise<string> =>
  new Promise((resolve, reject) => {
    let out = "";
    child.stdout.on("data", (d: Buffer) => {
      out += d.toString();
      const url = /http:\/\/127\.0\.0\.1:\d+\//.exec(out)?.[0];
      if (url) resolve(url);
    });
    child.on("exit", (code) => reject(new Error(`serve exited (${code}) before printing its URL: ${out}`)));
  });

describe("artist-store demo --images-dir and artist-store serve", () => {
  it("demo writes one placeholder image per generated image, into images/ beside the database by default", () => {
    const dir = tempDir();
    const db = join(dir, "demo.db");
    const first = json(cli(["demo", "--db", db, "--json"])) as { images: { dir: string; written: number } };
    expect(first.images.dir).toBe(join(dir, "images"));
    expect(first.images.written).toBeGreaterThan(250);
    expect(readdirSync(join(dir, "images"))).toHaveLength(first.images.written);
    expect((json(cli(["demo", "--db", db, "--json"])) as typeof first).images.written).toBe(0);
    const elsewhere = join(dir, "renders");
    const human = cli(["demo", "--db", db, "--images-dir", elsewhere]);
    expect(human.stdout).toContain(`${first.images.written} placeholder images written to ${elsewhere}`);
  });

  it("serve prints its URL, answers on 127.0.0.1, and stops cleanly on SIGTERM", async () => {
    const db = join(tempDir(), "demo.db");
    cli(["demo", "--db", db, "--json"]);
    const child = cliProcess(["serve", "--db", db, "--port", "0"]);
    const done = finished(child);
    const url = await urlOf(child);
    const health = await fetch(new URL("/health", url));
    expect(health.status).toBe(200);
    expect(await health.json()).toMatchObject({ ok: true, head: expect.any(Number) });
    const page = await fetch(url);
    expect(page.headers.get("content-type")).toBe("text/html; charset=utf-8");
    const image = (await (await fetch(new URL("/api/images?limit=1", url))).json()) as {
      images: { imageUrl: string }[];
    };
    expect((await fetch(new URL(image.images[0]?.imageUrl ?? "", url))).headers.get("content-type")).toBe("image/png");
    child.kill("SIGTERM");
    const result = await done;
    expect(result.code).toBe(0);
    expect(result.stdout).toBe(
      `artist-store dashboard of ${db} (read-only) at ${url}\nCtrl-C stops it.\nstopped (SIGTERM)\n`,
    );
    expect(result.stderr).toBe("");
  });

  it("serve refuses a database that does not exist, with the command that creates it", () => {
    const db = join(tempDir(), "none.db");
    const r = cli(["serve", "--db", db, "--port", "0"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(
      `error: database ${db} does not exist: run \`npx artist-store migrate --db ${db}\` (or openStore({ migrate: true }))\n`,
    );
  });

  it("serve --help names its options and pages", () => {
    const r = cli(["serve", "--help"]);
    expect(r.code).toBe(0);
    for (const text of ["--port", "--host", "--images-dir", "--max-lag", "--as-of-max-events", "/status", "read-only"])
      expect(r.stdout).toContain(text);
  });
});
