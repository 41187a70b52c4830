-- An index for two documented queries that the document's indexes leave to a sort
-- of every matching row (README "Performance" has the measurements):
-- recent high-quality images (status = 'curated' AND final_score >= ? ORDER BY
--    created_at DESC LIMIT 10) and uncurated images (status = 'pending' ORDER BY
--    created_at LIMIT 100): walk one status newest- or oldest-first (ties by id, the
--    index's rowid) and stop at the limit. The planner prefers idx_covering for the
--    score range and sorts every match, so that query names this index (INDEXED BY).
-- Every documented index stays.
-- migrate:up
CREATE INDEX idx_status_created ON generated_images(status, created_at);

-- migrate:down
DROP INDEX idx_status_created;
