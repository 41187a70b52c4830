-- The event log's secondary indexes on type and occurred_at served no query of the
-- store (the log is read by position or by stream), yet every append paid for them:
-- two more B-trees to update and two more pages to write to the WAL per commit.
-- The benchmark suite (npm run bench, README "Performance") measured the gain.
-- migrate:up
DROP INDEX idx_events_type;
DROP INDEX idx_events_occurred_at;

-- migrate:down
CREATE INDEX idx_events_type ON events(type);
CREATE INDEX idx_events_occurred_at ON events(occurred_at);
