import { describe, expect, it } from "vitest";
import { cli, cliProcess, finished, json, jsonLines } from "../cli/run.js";
import { freshDatabase } from "./database.js";

const lines = (...events: unknown[]) => `${events.map((e) => JSON.stringify(e)).join("\n")}\n`;
const image = (filename: string) => ({
  type: "ImageGenerated",
  occurredAt: "2026-01-08T12:00:00Z",
  data: { filename, prompt: "p", modelId: "m" },
});

describe("the command line on a postgres:// URL", () => {
  it("migrates, emits, lists events, runs a query and passes doctor, from --db or DATABASE_URL", async () => {
    const url = await freshDatabase();
    const status = cli(["migrate", "status", "--db", url, "--json"]);
    expect(status.code).toBe(1);
    expect(json(status)).toMatchObject({ applied: [], current: false });
    const up = cli(["migrate", "--db", url, "--json"]);
    expect(up.stderr).toBe("");
    expect((json(up) as { applied: string[] }).applied.length).toBeGreaterThan(0);
    expect(cli(["migrate", "status"], { env: { DATABASE_URL: url } }).code).toBe(0);

    const emitted = cli(["emit", "--db", url, "--json"], {
      input: lines(
        image("a.png"),
        { type: "ImageCurated", data: { filename: "a.png", status: "curated", finalScore: 9 } },
        { type: "ImageCurated", data: { filename: "ghost.png", status: "curated" } },
        image("b.png"),
      ),
    });
    expect(emitted.code).toBe(1);
    expect(json(emitted)).toMatchObject({
      lines: 4,
      accepted: 3,
      firstPosition: 1,
      lastPosition: 3,
      rejected: [
        {
          line: 3,
          code: "STREAM_NOT_FOUND",
          message: "line 3: ImageCurated for image:ghost.png, which was never started",
        },
      ],
    });

    const events = cli(["events", "--type", "ImageGenerated", "--nl"], { env: { DATABASE_URL: url } });
    expect(events.code).toBe(0);
    expect(jsonLines(events.stdout).map((e) => (e as { streamId: string }).streamId)).toEqual([
      "image:a.png",
      "image:b.png",
    ]);
    const recent = cli(["query", "recent", "--db", url, "--json"]);
    expect(recent.code).toBe(0);
    expect((json(recent) as { filename: string }[]).map((r) => r.filename)).toEqual(["a.png"]);
    const uncurated = cli(["query", "uncurated", "--db", url, "--csv"]);
    expect(uncurated.stdout).toBe("id,filename,prompt\r\n2,b.png,p\r\n");

    const doctor = cli(["doctor", "--db", url, "--json"]);
    expect(doctor.code).toBe(0);
    expect(json(doctor)).toMatchObject({ ok: true });
    expect(JSON.stringify(json(doctor))).not.toContain(new URL(url).password);

    const rebuilt = cli(["rebuild", "--db", url, "--json"]);
    expect(rebuilt.stderr).toBe("");
    expect(json(rebuilt)).toMatchObject({ events: 3, position: 3 });
  });

  it("emit --follow acknowledges each line once committed", async () => {
    const url = await freshDatabase();
    expect(cli(["migrate", "--db", url]).code).toBe(0);
    const child = cliProcess(["emit", "--follow", "--db", url]);
    child.stdin.end(lines(image("a.png"), image("a.png")));
    const r = await finished(child);
    expect(jsonLines(r.stdout)).toMatchObject([
      { line: 1, ok: true, position: 1, streamVersion: 1, duplicate: false },
      { line: 2, ok: false, error: { code: "STREAM_EXISTS" } },
    ]);
    expect(r.code).toBe(1);
  });

  it("refuses, naming the supported commands, a SQLite-only command given a postgres:// URL", async () => {
    const r = cli(["audit", "--db", "postgres://u:secret@127.0.0.1:1/x"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/names a PostgreSQL database: this works on a SQLite file only/);
    expect(r.stderr).not.toContain("secret");
  });
});
