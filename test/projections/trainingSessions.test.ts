import { describe, expect, it, onTestFinished } from "vitest";
import { createTestStore, given } from "../../src/testing/index.js";
import { trainingStarted } from "../fixtures.js";
import { expectStoreError } from "../support.js";

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

  it("TrainingCompleted moves model_path when it names one, and keeps it when it does not", () => {
    const completed = (runId: string, modelPath?: string) => ({
      type: "TrainingCompleted" as const,
      occurredAt: "2026-01-05T12:00:00Z",
      data: { runId, ...(modelPath === undefined ? {} : { modelPath }) },
    });
    given([
      trainingStarted("r1", "2026-01-05T10:00:00Z", { modelPath: "models/r1-draft.safetensors" }),
      trainingStarted("r2", "2026-01-05T10:00:00Z", { modelPath: "models/r2.safetensors" }),
    ])
      .when([completed("r1", "models/r1-final.safetensors"), completed("r2")])
      .then({
        training_sessions: [
          { run_id: "r1", model_path: "models/r1-final.safetensors" },
          { run_id: "r2", model_path: "models/r2.safetensors" },
        ],
      });
  });

  it("keeps updated_at at the latest event time when a run ends with an earlier time (a backfilled end)", () => {
    given([trainingStarted("r1", "2026-01-05T10:00:00Z"), trainingStarted("r2", "2026-01-05T10:00:00Z")])
      .when([
        { type: "TrainingCompleted", occurredAt: "2026-01-05T09:00:00Z", data: { runId: "r1" } },
        { type: "TrainingFailed", occurredAt: "2026-01-05T09:30:00Z", data: { runId: "r2", reason: "oom" } },
      ])
      .then({
        training_sessions: [
          { run_id: "r1", completed_at: "2026-01-05T09:00:00.000Z", updated_at: "2026-01-05T10:00:00.000Z" },
          { run_id: "r2", completed_at: "2026-01-05T09:30:00.000Z", updated_at: "2026-01-05T10:00:00.000Z" },
        ],
      });
  });

  it.each([
    { type: "TrainingCompleted" as const, data: { runId: "r1" } },
    { type: "TrainingFailed" as const, data: { runId: "r1", reason: "oom" } },
  ])("$type for a run whose row is gone is PROJECTION_INVARIANT, and nothing is written", (event) => {
    const store = createTestStore();
    onTestFinished(store.close);
    store.append([trainingStarted("r1", "2026-01-05T10:00:00Z")]);
    // A projection out of step with the log: the row the log implies is gone.
    store.db.exec("DELETE FROM training_sessions");
    const head = store.headPosition();
    expectStoreError(
      () => store.append([{ ...event, occurredAt: "2026-01-05T11:00:00Z" }]),
      "PROJECTION_INVARIANT",
      new RegExp(`training_sessions has no row for training:r1 while projecting ${event.type}`),
    );
    expect(store.headPosition()).toBe(head);
  });
});
