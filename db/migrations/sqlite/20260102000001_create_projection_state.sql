-- Which projection code built each projection's tables, and how far into the
-- log they reached. openStore compares it with the running code's fingerprint
-- and the log's head, so tables built by other code, or lagging the log, are
-- reported with the command that fixes them (rebuild). Appends advance
-- `position` in their own transaction; a rebuild rewrites the row.
-- migrate:up
CREATE TABLE projection_state (
    projection TEXT PRIMARY KEY,
    fingerprint TEXT NOT NULL,
    position INTEGER NOT NULL CHECK (position >= 0)
);

-- migrate:down
DROP TABLE projection_state;
