import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it, onTestFinished } from "vitest";
import { pipelineDay } from "../../src/demo/pipelineDay.js";
import { exportTrainingSet, TRAINING_SET_EXPORTER } from "../../src/demo/trainingSetExporter.js";
import { listConsumers } from "../../src/operations.js";
import { createTestStore } from "../../src/testing/index.js";
import { tempDir } from "../support.js";

describe("the demo's training-set exporter", () => {
  it("writes each image curated as featured to the manifest once, with its prompt, and resumes from its checkpoint", async () => {
    const store = createTestStore();
    onTestFinished(store.close);
    const day = pipelineDay({ seed: 7 });
    store.append(day);
    const featured = day.flatMap((e) =>
      e.type === "ImageCurated" && e.data.status === "curated" && e.data.isFeatured ? [e.data.filename] : [],
    );
    const prompts = new Map(
      day.flatMap((e) => (e.type === "ImageGenerated" ? [[e.data.filename, e.data.prompt]] : [])),
    );
    expect(featured.length).toBeGreaterThan(0);

    const manifest = join(tempDir(), "training-set.jsonl");
    const first = await exportTrainingSet(store, manifest);
    expect(first.exported.map((l) => l.filename)).toEqual(featured);
    for (const line of first.exported) expect(line.prompt).toBe(prompts.get(line.filename));
    const lines = readFileSync(manifest, "utf8").trimEnd().split("\n");
    expect(lines.map((l) => JSON.parse(l))).toEqual(first.exported);
    expect(first.position).toBe(store.headPosition());

    expect((await exportTrainingSet(store, manifest)).exported).toEqual([]);
    store.emit.imageGenerated({ filename: "late.png", prompt: "a late fox", modelId: "sdxl" });
    store.emit.imageCurated({ filename: "late.png", status: "curated", finalScore: 9.5, isFeatured: true });
    const later = await exportTrainingSet(store, manifest);
    expect(later.exported).toMatchObject([{ filename: "late.png", prompt: "a late fox", finalScore: 9.5 }]);
    expect(readFileSync(manifest, "utf8").trimEnd().split("\n")).toHaveLength(featured.length + 1);
    expect(listConsumers(store)).toMatchObject([{ name: TRAINING_SET_EXPORTER, lagEvents: 0, lease: null }]);
  });
});
