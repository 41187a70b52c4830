import { match, P } from "ts-pattern";
import type { Db } from "../db/connection.js";
import type { StoredEvent } from "../events/envelope.js";
import { StoreError } from "../errors.js";

/** Rows of generated_images, one per image stream (keyed by filename). */
export const generatedImagesProjection = (db: Db) => {
  const insert = db.prepare(
    `INSERT INTO generated_images (filename, prompt, negative_prompt, source_url, source_query, model_id,
       generation_params, seed, created_at, status, is_featured, tags, updated_at)
     VALUES (@filename, @prompt, @negativePrompt, @sourceUrl, @sourceQuery, @modelId,
       @generationParams, @seed, @occurredAt, 'pending', 0, @tags, @occurredAt)`,
  );
  // A curation may score only some dimensions: scores it leaves out keep their value.
  const curate = db.prepare(
    `UPDATE generated_images SET
       status = @status,
       aesthetic_score = coalesce(@aestheticScore, aesthetic_score),
       clip_score = coalesce(@clipScore, clip_score),
       technical_score = coalesce(@technicalScore, technical_score),
       final_score = coalesce(@finalScore, final_score),
       diversity_score = coalesce(@diversityScore, diversity_score),
       is_featured = @isFeatured,
       updated_at = max(updated_at, @occurredAt)
     WHERE filename = @filename`,
  );

  const projectImageGenerated = (e: StoredEvent<"ImageGenerated">) => {
    insert.run({
        filename: e.data.filename,
        prompt: e.data.prompt,
        negativePrompt: e.data.negativePrompt,
        sourceUrl: e.data.sourceUrl ?? null,
        sourceQuery: e.data.sourceQuery ?? null,
        modelId: e.data.modelId,
        generationParams: JSON.stringify(e.data.generationParams),
        seed: e.data.seed ?? null,
        tags: JSON.stringify(e.data.tags),
        occurredAt: e.occurredAt,
      });
  };

  const projectImageCurated = (e: StoredEvent<"ImageCurated">) => {
    const { changes } = curate.run({
      filename: e.data.filename,
      status: e.data.status,
      aestheticScore: e.data.aestheticScore ?? null,
      clipScore: e.data.clipScore ?? null,
      technicalScore: e.data.technicalScore ?? null,
      finalScore: e.data.finalScore ?? null,
      diversityScore: e.data.diversityScore ?? null,
      isFeatured: e.data.isFeatured ? 1 : 0,
      occurredAt: e.occurredAt,
    });
    if (changes !== 1) throw missingRow("generated_images", e);
  };

  return (event: StoredEvent): void =>
    match(event)
      .with({ type: "ImageGenerated" }, projectImageGenerated)
      .with({ type: "ImageCurated" }, projectImageCurated)
      .with({ type: P.union("TrainingStarted", "TrainingCompleted", "TrainingFailed", "BatchStarted", "BatchFinished") }, () => {})
      .exhaustive();
};

/** The log says the row exists but the table has none: the projection is out of step with the log. */
export const missingRow = (table: string, e: StoredEvent) =>
  new StoreError("PROJECTION_INVARIANT", `${table} has no row for ${e.streamId} while projecting ${e.type} at position ${e.position}: rebuild the projections`, {
    table,
    streamId: e.streamId,
    position: e.position,
  });
