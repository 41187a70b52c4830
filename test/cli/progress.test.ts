import { execFileSync, spawnSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { PassThrough } from "node:stream";
import { stripVTControlCharacters } from "node:util";
import { describe, expect, it } from "vitest";
import { drawsProgress } from "../../src/cli/common.js";
import { createProgress, formatRate } from "../../src/cli/progress.js";
import { tempDir } from "../support.js";
import { CLI, cli } from "./run.js";

const collect = (stream: PassThrough) => {
  let text = "";
  stream.on("data", (b: Buffer) => (text += b.toString()));
  return () => text;
};

describe("createProgress", () => {
  it("draws nothing when its stream is not a terminal, and prints one summary line", () => {
    const bar = new PassThrough();
    const barText = collect(bar);
    let summary = "";
    const progress = createProgress("rebuild", { stream: bar, out: (text) => (summary += text) });
    progress.onProgress({ done: 2000, total: 4000 });
    progress.onProgress({ done: 4000, total: 4000 });
    progress.finish("rebuilt 4000 events");
    expect([barText(), summary]).toEqual(["", "rebuilt 4000 events\n"]);
  });

  it("formats rates as people read them", () => {
    expect(formatRate(100_000, 8_000)).toBe("12 500");
    expect(formatRate(5, 0)).toBe("5 000");
  });
});

/** A stream that says it is a terminal, as cli-progress asks (80 columns). */
const fakeTerminal = () => Object.assign(new PassThrough(), { isTTY: true, columns: 80 });
/** What a terminal shows of the text: escape sequences left out. */
const plain = (text: string) => stripVTControlCharacters(text);

describe("drawsProgress", () => {
  it.each([
    [{ isTTY: true }, {}, true],
    [{ isTTY: true }, { NO_COLOR: "1" }, true],
    [{ isTTY: true }, { TERM: "dumb" }, false],
    [{ isTTY: false }, {}, false],
    [{}, {}, false],
  ])("on %j with %j: %s", (stream, env, drawn) => {
    expect(drawsProgress(stream, env)).toBe(drawn);
  });
});

describe("one progress style", () => {
  it("with a known end: the bar, done of total, the rate and the ETA; sizes for bytes", () => {
    const terminal = fakeTerminal();
    const shown = collect(terminal);
    const progress = createProgress("emit", { stream: terminal, out: () => {}, unit: "bytes" });
    expect(progress.drawn).toBe(true);
    progress.onProgress({ done: 64 * 1024, total: 256 * 1024 });
    progress.stop();
    expect(plain(shown())).toMatch(/^emit \[[█░]+\] 64\.0 KiB\/256\.0 KiB \| [\d.]+ (KiB|MiB|GiB)\/s \| ETA \d+s/);
  });

  it("without one (stdin): the count and its rate, no ETA", () => {
    const terminal = fakeTerminal();
    const shown = collect(terminal);
    const progress = createProgress("emit", { stream: terminal, out: () => {}, unit: "lines" });
    progress.onProgress({ done: 1500 });
    progress.stop();
    expect(plain(shown())).toMatch(/^emit 1 500 lines \| [\d ]+ lines\/s/);
    expect(shown()).not.toContain("ETA");
  });
});

describe("every long command", () => {
  const demo = () => {
    const dir = tempDir();
    const db = join(dir, "s.db");
    expect(cli(["demo", "--db", db, "--json"]).code).toBe(0);
    const log = join(dir, "log.jsonl");
    writeFileSync(log, cli(["events", "--db", db, "--nl"]).stdout);
    const target = join(dir, "t.db");
    expect(cli(["migrate", "--db", target]).code).toBe(0);
    return { dir, db, log, target };
  };

  it("prints nothing on stderr when it is not a terminal", () => {
    const { dir, db, log, target } = demo();
    for (const args of [
      ["rebuild", "--db", db],
      ["audit", "--db", db],
      ["as-of", "--db", db, "--position", "300"],
      ["backup", "--db", db, "--dir", join(dir, "backups")],
      ["doctor", "--db", db, "--quick"],
      ["verify", "--db", db, "--quick"],
      ["emit", log, "--db", target],
    ]) {
      const r = cli(args);
      expect([args[0], r.code, r.stderr]).toEqual([args[0], 0, ""]);
    }
    const piped = cli(["emit", "--db", target], { input: `${cli(["events", "--db", db, "--nl"]).stdout}` });
    expect([piped.code, piped.stderr]).toEqual([0, ""]);
  });

  /** `script` (util-linux; Debian's essential bsdutils) runs a command on a pseudo-terminal: what a person sees. */
  it("draws the bar on a terminal: emit of a file by bytes, of a pipe by lines, doctor, rebuild", () => {
    expect(spawnSync("script", ["--version"]).status, "the script program (bsdutils) is missing").toBe(0);
    const { db, log, target } = demo();
    const quote = (s: string) => `'${s.replaceAll("'", "'\\''")}'`;
    const node = `${quote(process.execPath)} ${quote(CLI)}`;
    const onTerminal = (command: string) =>
      plain(
        execFileSync("script", ["-qec", command, "/dev/null"], {
          encoding: "utf8",
          env: { ...process.env, TERM: "xterm" },
        }),
      );
    expect(onTerminal(`${node} emit ${quote(log)} --db ${quote(target)}`)).toMatch(
      /emit \[[█░]+\] [\d.]+ KiB\/[\d.]+ KiB \| [\d.]+ [KMG]i?B\/s \| ETA \d+s/,
    );
    const fromPipe = onTerminal(`cat ${quote(log)} | ${node} emit --db ${quote(target)}`);
    expect(fromPipe).toMatch(/emit \d[\d ]* lines \| [\d ]+ lines\/s/);
    expect(fromPipe).not.toContain("ETA");
    expect(onTerminal(`${node} doctor --quick --db ${quote(db)}`)).toMatch(
      /doctor \[[█░]+\] \d+\/\d+ events \| .* ETA/,
    );
    expect(onTerminal(`${node} rebuild --db ${quote(db)}`)).toMatch(/rebuild \[[█░]+\] \d+\/\d+ events \| .* ETA/);
  });
});
