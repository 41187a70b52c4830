-- Indexes for two documented queries that the document's indexes leave to a sort
-- of every matching row (README "Performance" has the measurements):
--  * recent high-quality images (status = 'curated' AND final_score >= ? ORDER BY
--    created_at DESC LIMIT 10) and uncurated images (status = 'pending' ORDER BY
--    created_at LIMIT 100): walk one status newest- or oldest-first (ties by id, the
--    index's rowid) and stop at the limit. The planner prefers idx_covering for the
--    score range and sorts every match, so that query names this index (INDEXED BY);
--  * daily creation statistics (GROUP BY DATE(started_at)): an index on the
--    expression, covering the summed columns, so days come out grouped without a sort.
-- Every documented index stays.
-- migrate:up
CREATE INDEX idx_status_created ON generated_images(status, created_at);
CREATE INDEX idx_session_day ON creation_sessions(DATE(started_at), images_created, images_kept, avg_score);

-- migrate:down
DROP INDEX idx_session_day;
DROP INDEX idx_status_created;
