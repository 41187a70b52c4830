import type { Db } from "../db/connection.js";
import type { StoredEvent } from "../events/envelope.js";
import type { Handlers } from "./handlers.js";

/** The document's tiers, in one place: the projection and the reference query both use it. */
export const QUALITY_TIER_CASE = `CASE
         WHEN final_score >= 8.0 THEN 'Excellent'
         WHEN final_score >= 6.0 THEN 'Good'
         WHEN final_score >= 4.0 THEN 'Fair'
         ELSE 'Poor'
       END`;

/**
 * quality_tiers: per tier, the curated images, those scored and their score sum.
 * An image's contribution is taken out just before a curation changes its row
 * and put back just after, read from the row itself, so re-curations move it
 * between tiers. It wraps the generated_images handler because it must see the
 * row on both sides of that handler's UPDATE.
 * @example const handlers = withQualityTiers(db, generatedImagesProjection(db));
 */
export const withQualityTiers = (db: Db, images: Handlers): Handlers => {
  const statements = prepareStatements(db);
  const curate = images.ImageCurated;
  // Only a curation changes status or final_score; every other event passes straight through.
  return { ...images, ImageCurated: (event) => projectImageCuratedIntoTiers(statements, curate, event) };
};

/** The statements of quality_tiers, prepared once per connection. */
const prepareStatements = (db: Db) => ({
  enter: db.prepare(
    `INSERT INTO quality_tiers (tier, images, scored, score_sum)
     SELECT ${QUALITY_TIER_CASE}, 1, final_score IS NOT NULL, coalesce(final_score, 0.0)
     FROM generated_images WHERE filename = ? AND status = 'curated'
     ON CONFLICT (tier) DO UPDATE SET
       images = images + excluded.images,
       scored = scored + excluded.scored,
       score_sum = score_sum + excluded.score_sum`,
  ),
  leave: db.prepare(
    `UPDATE quality_tiers SET
       images = images - 1,
       scored = scored - (image.final_score IS NOT NULL),
       score_sum = score_sum - coalesce(image.final_score, 0.0)
     FROM (SELECT final_score FROM generated_images WHERE filename = ? AND status = 'curated') AS image
     WHERE tier = ${QUALITY_TIER_CASE}`,
  ),
});
type Statements = ReturnType<typeof prepareStatements>;

/**
 * ImageCurated, around the generated_images handler `curate`: the image leaves its
 * tier before its row changes, and enters its (new) tier after.
 */
const projectImageCuratedIntoTiers = (
  s: Statements,
  curate: Handlers["ImageCurated"],
  event: StoredEvent<"ImageCurated">,
): void => {
  // At stream version 2 the only event before is ImageGenerated: the row is pending and in no tier yet.
  if (event.streamVersion > 2) s.leave.run(event.data.filename);
  curate?.(event);
  s.enter.run(event.data.filename);
};
