import { describe, expect, it, onTestFinished } from "vitest";
import { createTestStore, given } from "../../src/testing/index.js";
import { curated, generated } from "../fixtures.js";

describe("generated_images projection", () => {
  it("ImageGenerated inserts a pending row with the event's time as created_at", () => {
    const store = createTestStore();
    onTestFinished(store.close);
    store.append([
      generated("20260108_120000_sunset_42.png", "2026-01-08T12:00:00Z", {
        prompt: "a beautiful sunset over snow-capped mountains, highly detailed",
        negativePrompt: "blurry, low quality, distorted",
        sourceUrl: "https://images.unsplash.com/photo-xyz",
        sourceQuery: "mountain sunset",
        modelId: "stabilityai/stable-diffusion-xl-base-1.0",
        generationParams: { width: 1024, height: 1024, num_inference_steps: 30, guidance_scale: 7.5, lora_scale: 0.8 },
        seed: 42,
        tags: ["landscape", "sunset", "mountains", "winter"],
      }),
    ]);
    expect(store.rows("generated_images")).toEqual([
      {
        id: 1,
        filename: "20260108_120000_sunset_42.png",
        prompt: "a beautiful sunset over snow-capped mountains, highly detailed",
        negative_prompt: "blurry, low quality, distorted",
        source_url: "https://images.unsplash.com/photo-xyz",
        source_query: "mountain sunset",
        model_id: "stabilityai/stable-diffusion-xl-base-1.0",
        generation_params:
          '{"width":1024,"height":1024,"num_inference_steps":30,"guidance_scale":7.5,"lora_scale":0.8}',
        seed: 42,
        aesthetic_score: null,
        clip_score: null,
        technical_score: null,
        final_score: null,
        created_at: "2026-01-08T12:00:00.000Z",
        status: "pending",
        is_featured: 0,
        tags: '["landscape","sunset","mountains","winter"]',
        updated_at: "2026-01-08T12:00:00.000Z",
        diversity_score: null,
      },
    ]);
  });

  it("ImageCurated sets status, scores and featured flag, keeps scores it leaves out, and never moves created_at", () => {
    given([
      generated("a.png", "2026-01-08T12:00:00Z", { negativePrompt: undefined }),
      curated("a.png", "2026-01-08T12:05:00Z", {
        aestheticScore: 7.8,
        clipScore: 0.85,
        technicalScore: 0.92,
        finalScore: 8.2,
        isFeatured: true,
        diversityScore: 5.5,
      }),
    ])
      .when(curated("a.png", "2026-01-08T12:10:00Z", { status: "rejected", finalScore: 3.1 }))
      .then({
        generated_images: [
          {
            negative_prompt: "",
            aesthetic_score: 7.8,
            clip_score: 0.85,
            technical_score: 0.92,
            final_score: 3.1,
            diversity_score: 5.5,
            status: "rejected",
            is_featured: 0,
            created_at: "2026-01-08T12:00:00.000Z",
            updated_at: "2026-01-08T12:10:00.000Z",
          },
        ],
      });
  });

  it("keeps updated_at at the latest event time when events arrive out of time order", () => {
    given([generated("a.png", "2026-01-08T12:00:00Z"), curated("a.png", "2026-01-08T14:00:00Z")])
      .when(curated("a.png", "2026-01-08T13:00:00Z"))
      .then({ generated_images: [{ updated_at: "2026-01-08T14:00:00.000Z" }] });
  });

  it("ImageCurated for an image that was never generated is refused and writes nothing", () => {
    given([generated("a.png", "2026-01-08T12:00:00Z")])
      .when(curated("b.png", "2026-01-08T12:05:00Z"))
      .then({ error: "STREAM_NOT_FOUND", message: /image:b\.png/ });
  });

  it("re-curation: a score given replaces the stored one, a score left out keeps it (each of the five)", () => {
    const scores = (aesthetic: number, clip: number, technical: number, final: number, diversity: number) => ({
      aesthetic_score: aesthetic,
      clip_score: clip,
      technical_score: technical,
      final_score: final,
      diversity_score: diversity,
    });
    const store = createTestStore();
    onTestFinished(store.close);
    const row = () =>
      store.db
        .prepare(
          "SELECT aesthetic_score, clip_score, technical_score, final_score, diversity_score FROM generated_images",
        )
        .get();
    store.append([
      generated("a.png", "2026-01-08T12:00:00Z"),
      curated("a.png", "2026-01-08T12:01:00Z", {
        aestheticScore: 7.5,
        clipScore: 0.25,
        technicalScore: 0.5,
        finalScore: 7,
        diversityScore: 4,
      }),
    ]);
    expect(row()).toEqual(scores(7.5, 0.25, 0.5, 7, 4));
    // Curated again without scores (and with explicit nulls): every score stays.
    store.append([curated("a.png", "2026-01-08T12:02:00Z", { status: "rejected" })]);
    store.append([curated("a.png", "2026-01-08T12:03:00Z", { clipScore: null, finalScore: null })]);
    expect(row()).toEqual(scores(7.5, 0.25, 0.5, 7, 4));
    // Curated again with new scores: each replaces the stored one, the others stay.
    store.append([curated("a.png", "2026-01-08T12:04:00Z", { clipScore: 0.75 })]);
    expect(row()).toEqual(scores(7.5, 0.75, 0.5, 7, 4));
    store.append([
      curated("a.png", "2026-01-08T12:05:00Z", {
        aestheticScore: 2.5,
        clipScore: 0,
        technicalScore: 1,
        finalScore: 0,
        diversityScore: 10,
      }),
    ]);
    expect(row()).toEqual(scores(2.5, 0, 1, 0, 10));
  });

  it("keeps a seed of 0 (a seed, not a missing one)", () => {
    given([])
      .when(generated("a.png", "2026-01-08T12:00:00Z", { seed: 0 }))
      .then({ generated_images: [{ seed: 0 }] });
  });
});
