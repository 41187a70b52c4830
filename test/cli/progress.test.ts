import { PassThrough } from "node:stream";
import { describe, expect, it } from "vitest";
import { createProgress, formatRate } from "../../src/cli/progress.js";

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
