-- Daily creation statistics, kept up to date by the batch events instead of
-- grouping every batch on each read (the document's query reads all of them:
-- about 6 ms at a million images). One row per UTC day a batch started on:
-- the batches, the images created and kept, and the sum and count of the
-- batches' average scores (AVG ignores NULLs). Written only by the
-- creation_sessions projection (src/projections/creationDays.ts), whose code
-- changes with it: both directions forget how far it was built.
-- migrate:up
CREATE TABLE creation_days (
    day TEXT PRIMARY KEY,
    sessions INTEGER NOT NULL CHECK (sessions >= 0),
    images_created INTEGER NOT NULL CHECK (images_created >= 0),
    images_kept INTEGER NOT NULL CHECK (images_kept >= 0),
    avg_score_sum REAL NOT NULL,
    avg_scores INTEGER NOT NULL CHECK (avg_scores >= 0 AND avg_scores <= sessions)
);

INSERT INTO creation_days (day, sessions, images_created, images_kept, avg_score_sum, avg_scores)
SELECT DATE(started_at), COUNT(*), coalesce(SUM(images_created), 0), coalesce(SUM(images_kept), 0), coalesce(SUM(avg_score), 0.0), COUNT(avg_score)
FROM creation_sessions
GROUP BY DATE(started_at);
DELETE FROM projection_state WHERE projection = 'creation_sessions';

-- migrate:down
DROP TABLE creation_days;
DELETE FROM projection_state WHERE projection = 'creation_sessions';
