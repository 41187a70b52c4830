import { appendFileSync } from "node:fs";
import { runConsumer } from "../consumers/runConsumer.js";
import type { Store } from "../store/openStore.js";

/** One line of the training-set manifest: a featured image, its caption and its score. */
export interface ManifestLine {
  filename: string;
  prompt: string | null;
  finalScore: number | null;
  curatedAt: string;
  position: number;
}

/**
 * What the exporter did in one run: the lines it added to the manifest and where its checkpoint is.
 * @example const { exported, position } = await exportTrainingSet(store, "data/training-set.jsonl");
 */
export interface TrainingSetExport {
  consumer: string;
  manifest: string;
  exported: ManifestLine[];
  position: number;
}

/** The consumer's name: its checkpoint in the database. */
export const TRAINING_SET_EXPORTER = "training-set-exporter";

/**
 * The demo's consumer: a training-set exporter that follows the log for curations and appends
 * each image curated as featured to a JSON-lines manifest (file name, prompt as caption, score),
 * for the next LoRA run to train on. It is at-least-once (a file is an outside effect): the
 * checkpoint moves after the lines are written, so after a crash a batch may be written again;
 * readers of the manifest keep the last line of each file name. Runs until it has caught up.
 * @example await exportTrainingSet(store, join(dirname(store.path), "training-set.jsonl"))
 */
export const exportTrainingSet = async (store: Store, manifest: string): Promise<TrainingSetExport> => {
  const exported: ManifestLine[] = [];
  const run = await runConsumer(store, {
    name: TRAINING_SET_EXPORTER,
    types: ["ImageCurated"],
    stopAtHead: true,
    handle: (events) => {
      const lines = events
        .filter((e) => e.data.status === "curated" && e.data.isFeatured)
        .map((e): ManifestLine => {
          // The caption is the prompt the image was generated from: the first event of its stream.
          const [generated] = store.readStream(e.streamId, { limit: 1 });
          return {
            filename: e.data.filename,
            prompt: generated?.type === "ImageGenerated" ? generated.data.prompt : null,
            finalScore: e.data.finalScore ?? null,
            curatedAt: e.occurredAt,
            position: e.position,
          };
        });
      if (lines.length > 0) appendFileSync(manifest, lines.map((l) => `${JSON.stringify(l)}\n`).join(""));
      exported.push(...lines);
    },
  });
  return { consumer: TRAINING_SET_EXPORTER, manifest, exported, position: run.position };
};
