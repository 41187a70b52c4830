import { describe, expect, it } from "vitest";
import { given } from "../../src/testing/index.js";
import { batchFinished, batchStarted, curated, generated, trainingStarted } from "../fixtures.js";
import { freshStore, tableRows } from "../support.js";

describe("generated_images projection", () => {
  it("ImageGenerated inserts a pending row with the event's time as created_at", () => {
    const store = freshStore();
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
    expect(tableRows(store, "generated_images")).toEqual([
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
});

describe("training_sessions projection", () => {
  it("TrainingStarted then TrainingCompleted give the document's example row", () => {
    const store = freshStore();
    store.append([
      trainingStarted("landscape_v1", "2026-01-05T10:00:00Z", {
        name: "landscape_style_v1",
        modelPath: "models/lora/landscape_v1.safetensors",
        config: {
          network_dim: 64,
          network_alpha: 32,
          learning_rate: 1e-4,
          max_train_steps: 2000,
          dataset: "datasets/landscapes",
        },
        datasetSize: 75,
      }),
      {
        type: "TrainingCompleted",
        occurredAt: "2026-01-05T12:00:00Z",
        data: {
          runId: "landscape_v1",
          finalLoss: 0.0234,
          trainingTimeSeconds: 7200,
          metrics: { fid_score: 28.5, sample_images: ["sample_1.png", "sample_2.png"] },
        },
      },
    ]);
    expect(tableRows(store, "training_sessions")).toEqual([
      {
        id: 1,
        run_id: "landscape_v1",
        name: "landscape_style_v1",
        model_path: "models/lora/landscape_v1.safetensors",
        config:
          '{"network_dim":64,"network_alpha":32,"learning_rate":0.0001,"max_train_steps":2000,"dataset":"datasets/landscapes"}',
        dataset_size: 75,
        final_loss: 0.0234,
        training_time_seconds: 7200,
        metrics: '{"fid_score":28.5,"sample_images":["sample_1.png","sample_2.png"]}',
        started_at: "2026-01-05T10:00:00.000Z",
        completed_at: "2026-01-05T12:00:00.000Z",
        status: "completed",
        failure_reason: null,
        updated_at: "2026-01-05T12:00:00.000Z",
      },
    ]);
  });

  it("TrainingStarted alone leaves the run running; TrainingFailed records the reason", () => {
    given([trainingStarted("r1", "2026-01-05T10:00:00Z"), trainingStarted("r2", "2026-01-05T11:00:00Z")])
      .when({
        type: "TrainingFailed",
        occurredAt: "2026-01-05T11:30:00Z",
        data: { runId: "r2", reason: "CUDA out of memory", trainingTimeSeconds: 1800 },
      })
      .then({
        training_sessions: [
          { run_id: "r1", status: "running", completed_at: null, failure_reason: null, training_time_seconds: null },
          {
            run_id: "r2",
            status: "failed",
            completed_at: "2026-01-05T11:30:00.000Z",
            failure_reason: "CUDA out of memory",
            training_time_seconds: 1800,
          },
        ],
      });
  });

  it("a failed run takes no more events", () => {
    given([
      trainingStarted("r1", "2026-01-05T10:00:00Z"),
      { type: "TrainingFailed", occurredAt: "2026-01-05T11:00:00Z", data: { runId: "r1", reason: "oom" } },
    ])
      .when({ type: "TrainingCompleted", occurredAt: "2026-01-05T12:00:00Z", data: { runId: "r1" } })
      .then({ error: "STREAM_CLOSED", message: /already ended with TrainingFailed/ });
  });
});

describe("creation_sessions projection", () => {
  it("BatchStarted then BatchFinished give the document's example row", () => {
    const store = freshStore();
    store.append([
      batchStarted("batch-1", "2026-01-08T09:00:00Z", "landscapes"),
      batchFinished("batch-1", "2026-01-08T09:15:00Z", { imagesCreated: 5, imagesKept: 2, avgScore: 6.8 }),
    ]);
    expect(tableRows(store, "creation_sessions")).toEqual([
      {
        id: 1,
        batch_id: "batch-1",
        theme: "landscapes",
        images_created: 5,
        images_kept: 2,
        avg_score: 6.8,
        started_at: "2026-01-08T09:00:00.000Z",
        completed_at: "2026-01-08T09:15:00.000Z",
        updated_at: "2026-01-08T09:15:00.000Z",
      },
    ]);
  });

  it("a started batch has zero images and no completion time yet", () => {
    given([])
      .when(batchStarted("b", "2026-01-08T09:00:00Z"))
      .then({
        creation_sessions: [{ theme: null, images_created: 0, images_kept: 0, avg_score: null, completed_at: null }],
      });
  });
});

describe("projections touch only their own table", () => {
  it("image events leave the session tables empty, and session events leave generated_images empty", () => {
    const images = freshStore();
    images.append([generated("a.png", "2026-01-08T12:00:00Z"), curated("a.png", "2026-01-08T12:01:00Z")]);
    expect([tableRows(images, "training_sessions"), tableRows(images, "creation_sessions")]).toEqual([[], []]);
    const sessions = freshStore();
    sessions.append([trainingStarted("r", "2026-01-08T12:00:00Z"), batchStarted("b", "2026-01-08T12:00:00Z")]);
    expect(tableRows(sessions, "generated_images")).toEqual([]);
  });
});
