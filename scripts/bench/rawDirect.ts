// The baseline: the same end state as the store's projections, written with plain
// prepared INSERT/UPDATE statements through better-sqlite3. No log, no validation.
import type { Db } from "../../src/db/connection.js";
import type { NewEvent } from "../../src/index.js";
import { QUALITY_TIER_CASE } from "../../src/projections/qualityTiers.js";

/** Prepared statements that apply one workload event straight to the tables. */
export const rawDirectApplier = (db: Db) => {
  const insertImage = db.prepare(
    `INSERT INTO generated_images (filename, prompt, negative_prompt, source_url, source_query, model_id,
       generation_params, seed, created_at, status, is_featured, tags, updated_at)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'pending', 0, ?, ?)`,
  );
  const curateImage = db.prepare(
    `UPDATE generated_images SET status = ?, aesthetic_score = coalesce(?, aesthetic_score), clip_score = coalesce(?, clip_score),
       technical_score = coalesce(?, technical_score), final_score = coalesce(?, final_score), is_featured = ?,
       updated_at = max(updated_at, ?)
     WHERE filename = ?`,
  );
  // quality_tiers and creation_days are part of the projected state: the same statements keep it, around the curation's UPDATE.
  const leaveTier = db.prepare(
    `UPDATE quality_tiers SET images = images - 1, scored = scored - (image.final_score IS NOT NULL),
       score_sum = score_sum - coalesce(image.final_score, 0.0)
     FROM (SELECT final_score FROM generated_images WHERE filename = ? AND status = 'curated') AS image
     WHERE tier = ${QUALITY_TIER_CASE}`,
  );
  const enterTier = db.prepare(
    `INSERT INTO quality_tiers (tier, images, scored, score_sum)
     SELECT ${QUALITY_TIER_CASE}, 1, final_score IS NOT NULL, coalesce(final_score, 0.0)
     FROM generated_images WHERE filename = ? AND status = 'curated'
     ON CONFLICT (tier) DO UPDATE SET images = images + excluded.images, scored = scored + excluded.scored, score_sum = score_sum + excluded.score_sum`,
  );
  const startRun = db.prepare(
    `INSERT INTO training_sessions (run_id, name, model_path, config, dataset_size, metrics, started_at, status, updated_at)
     VALUES (?, ?, ?, ?, ?, '{}', ?, 'running', ?)`,
  );
  const completeRun = db.prepare(
    `UPDATE training_sessions SET status = 'completed', final_loss = ?, training_time_seconds = ?, metrics = ?,
       model_path = coalesce(?, model_path), completed_at = ?, updated_at = max(updated_at, ?)
     WHERE run_id = ?`,
  );
  const failRun = db.prepare(
    `UPDATE training_sessions SET status = 'failed', failure_reason = ?, training_time_seconds = ?, completed_at = ?,
       updated_at = max(updated_at, ?)
     WHERE run_id = ?`,
  );
  const startBatch = db.prepare(
    `INSERT INTO creation_sessions (batch_id, theme, images_created, images_kept, started_at, updated_at) VALUES (?, ?, 0, 0, ?, ?)`,
  );
  const finishBatch = db.prepare(
    `UPDATE creation_sessions SET images_created = ?, images_kept = ?, avg_score = ?, completed_at = ?, updated_at = max(updated_at, ?)
     WHERE batch_id = ?`,
  );

  const startDay = db.prepare(
    `INSERT INTO creation_days (day, sessions, images_created, images_kept, avg_score_sum, avg_scores)
     SELECT DATE(started_at), 1, 0, 0, 0.0, 0 FROM creation_sessions WHERE batch_id = ?
     ON CONFLICT (day) DO UPDATE SET sessions = sessions + 1`,
  );
  const finishDay = db.prepare(
    `UPDATE creation_days SET images_created = creation_days.images_created + batch.images_created,
       images_kept = creation_days.images_kept + batch.images_kept, avg_score_sum = avg_score_sum + coalesce(batch.avg_score, 0.0),
       avg_scores = avg_scores + (batch.avg_score IS NOT NULL)
     FROM (SELECT started_at, images_created, images_kept, avg_score FROM creation_sessions WHERE batch_id = ?) AS batch
     WHERE day = DATE(batch.started_at)`,
  );

  const apply = (e: NewEvent): void => {
    const t = e.occurredAt ?? "";
    switch (e.type) {
      case "ImageGenerated": {
        const d = e.data;
        insertImage.run(
          d.filename,
          d.prompt,
          d.negativePrompt ?? "",
          d.sourceUrl ?? null,
          d.sourceQuery ?? null,
          d.modelId,
          JSON.stringify(d.generationParams ?? {}),
          d.seed ?? null,
          t,
          JSON.stringify(d.tags ?? []),
          t,
        );
        return;
      }
      case "ImageCurated": {
        const d = e.data;
        leaveTier.run(d.filename);
        curateImage.run(
          d.status,
          d.aestheticScore ?? null,
          d.clipScore ?? null,
          d.technicalScore ?? null,
          d.finalScore ?? null,
          d.isFeatured ? 1 : 0,
          t,
          d.filename,
        );
        enterTier.run(d.filename);
        return;
      }
      case "TrainingStarted":
        startRun.run(
          e.data.runId,
          e.data.name,
          e.data.modelPath,
          JSON.stringify(e.data.config ?? {}),
          e.data.datasetSize ?? null,
          t,
          t,
        );
        return;
      case "TrainingCompleted":
        completeRun.run(
          e.data.finalLoss ?? null,
          e.data.trainingTimeSeconds ?? null,
          JSON.stringify(e.data.metrics ?? {}),
          e.data.modelPath ?? null,
          t,
          t,
          e.data.runId,
        );
        return;
      case "TrainingFailed":
        failRun.run(e.data.reason, e.data.trainingTimeSeconds ?? null, t, t, e.data.runId);
        return;
      case "BatchStarted":
        startBatch.run(e.data.batchId, e.data.theme ?? null, t, t);
        startDay.run(e.data.batchId);
        return;
      case "BatchFinished":
        finishBatch.run(e.data.imagesCreated, e.data.imagesKept, e.data.avgScore ?? null, t, t, e.data.batchId);
        finishDay.run(e.data.batchId);
        return;
    }
  };
  return apply;
};

/** A writer that applies workload events straight to the tables, one BEGIN IMMEDIATE transaction per call. */
export const rawDirectWriter = (db: Db) => {
  const apply = rawDirectApplier(db);
  const write = db.transaction((events: readonly NewEvent[]) => {
    for (const e of events) apply(e);
  });
  return (events: readonly NewEvent[]): void => write.immediate(events);
};
