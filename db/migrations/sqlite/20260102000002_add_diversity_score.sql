-- The schema document's own example migration: generated_images gains
-- diversity_score (0-10, like final_score; NULL when not scored) and its index.
-- ImageCurated v2 carries diversityScore; rows written before this migration
-- get it from the log on the next rebuild (the column starts NULL).
-- Both directions forget how far generated_images was built: the next open
-- reports it stale and names the rebuild that derives it again from the log.
-- ADD COLUMN may carry a CHECK that names only its own column, and DROP COLUMN
-- accepts it again once the index is gone, so no table rebuild is needed.
-- migrate:up
ALTER TABLE generated_images ADD COLUMN diversity_score REAL CHECK (diversity_score IS NULL OR (diversity_score >= 0 AND diversity_score <= 10));
CREATE INDEX idx_diversity_score ON generated_images(diversity_score);
DELETE FROM projection_state WHERE projection = 'generated_images';

-- migrate:down
DROP INDEX idx_diversity_score;
ALTER TABLE generated_images DROP COLUMN diversity_score;
DELETE FROM projection_state WHERE projection = 'generated_images';
