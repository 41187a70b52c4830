import { describe, expect, it, onTestFinished } from "vitest";
import { createTestStore } from "../../src/testing/index.js";
import { batchStarted, curated, generated, trainingStarted } from "../fixtures.js";

describe("projections touch only their own table", () => {
  it("image events leave the session tables empty, and session events leave generated_images empty", () => {
    const images = createTestStore();
    onTestFinished(images.close);
    images.append([generated("a.png", "2026-01-08T12:00:00Z"), curated("a.png", "2026-01-08T12:01:00Z")]);
    expect([images.rows("training_sessions"), images.rows("creation_sessions")]).toEqual([[], []]);
    const sessions = createTestStore();
    onTestFinished(sessions.close);
    sessions.append([trainingStarted("r", "2026-01-08T12:00:00Z"), batchStarted("b", "2026-01-08T12:00:00Z")]);
    expect(sessions.rows("generated_images")).toEqual([]);
  });
});
