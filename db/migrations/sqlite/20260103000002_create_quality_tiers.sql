-- The quality distribution, kept up to date by the events instead of aggregated on
-- every read: the document's query scans every curated image (tens of milliseconds
-- at a million images); this table answers it by reading four rows.
-- One row per tier of the document's CASE; images counts the curated images in the
-- tier, scored those with a final_score (AVG ignores NULLs), score_sum their sum.
-- Written only by the generated_images projection (src/projections/qualityTiers.ts),
-- whose code changes with it: both directions forget how far it was built, so the
-- next open reports it stale and names the rebuild.
-- migrate:up
CREATE TABLE quality_tiers (
    tier TEXT PRIMARY KEY CHECK (tier IN ('Excellent', 'Good', 'Fair', 'Poor')),
    images INTEGER NOT NULL CHECK (images >= 0),
    scored INTEGER NOT NULL CHECK (scored >= 0 AND scored <= images),
    score_sum REAL NOT NULL
);

-- Databases that already hold images get their tiers now (a rebuild recomputes them from the log).
INSERT INTO quality_tiers (tier, images, scored, score_sum)
SELECT
    CASE
        WHEN final_score >= 8.0 THEN 'Excellent'
        WHEN final_score >= 6.0 THEN 'Good'
        WHEN final_score >= 4.0 THEN 'Fair'
        ELSE 'Poor'
    END AS tier,
    COUNT(*),
    COUNT(final_score),
    coalesce(SUM(final_score), 0.0)
FROM generated_images
WHERE status = 'curated'
GROUP BY tier;
DELETE FROM projection_state WHERE projection = 'generated_images';

-- migrate:down
DROP TABLE quality_tiers;
DELETE FROM projection_state WHERE projection = 'generated_images';
