import { describe, expect, it, onTestFinished } from "vitest";
import { createTestStore, given } from "../../src/testing/index.js";
import { trainingStarted } from "../fixtures.js";

describe("training_sessions projection", () => {
  it("TrainingStarted then TrainingCompleted give the document's example row", () => {
    const store = createTestStore();
    onTestFinished(store.close);
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
    expect(store.rows("training_sessions")).toEqual([
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
