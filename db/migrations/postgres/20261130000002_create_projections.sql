-- The schema document's three tables, with every column, default, index and CHECK of the
-- SQLite store, the same additions (stream keys, updated_at, diversity_score,
-- failure_reason), and the summary tables the queries read (quality_tiers,
-- creation_days) plus projection_state. Projections write them in the append's
-- transaction. Ids are given by the projection (the newest + 1, under the log's lock), as
-- SQLite's AUTOINCREMENT gives them: a sequence would skip the ids of a rolled-back
-- append, and both stores must hold the same rows. JSON columns are text with an IS JSON
-- check (the text the handler wrote, as SQLite keeps it); times are canonical ISO-8601
-- UTC text; created_at/started_at and the stream keys are immutable (the document's
-- update_timestamp trigger is replaced by updated_at from event time).
-- migrate:up
CREATE FUNCTION utc_now_text() RETURNS text LANGUAGE sql STABLE AS $$
    SELECT to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')
$$;

-- ROUND as SQLite computes it: on the double's exact decimal value (6.795 is stored as
-- 6.79499999…, so it rounds to 6.79). round(x::numeric, n) would round the 15-digit
-- approximation the cast makes (6.80), and the queries must return the same rows on both.
-- The exact value: the double times a power of two is an integer, and 2^-k = 5^k * 10^-k.
CREATE FUNCTION round_like_sqlite(x double precision, digits integer) RETURNS double precision
LANGUAGE sql IMMUTABLE STRICT AS $$
    SELECT round(CASE WHEN x = 0 THEN 0::numeric ELSE
        (x * power(2::float8, k))::bigint::numeric * power(5::numeric, k) * ('1e-' || k)::numeric END, digits)::float8
    FROM (SELECT 53 - floor(ln(abs(x)) / ln(2::float8))::int AS k) AS scale
$$;

CREATE TABLE generated_images (
    id bigint PRIMARY KEY CHECK (id >= 1),
    filename text COLLATE "C" NOT NULL UNIQUE,
    prompt text COLLATE "C" NOT NULL,
    negative_prompt text COLLATE "C" DEFAULT '',
    source_url text COLLATE "C",
    source_query text COLLATE "C",
    model_id text COLLATE "C" NOT NULL,
    generation_params text COLLATE "C" DEFAULT '{}' CHECK (generation_params IS NULL OR generation_params IS JSON),
    seed bigint,
    aesthetic_score double precision CHECK (aesthetic_score IS NULL OR (aesthetic_score >= 0 AND aesthetic_score <= 10)),
    clip_score double precision CHECK (clip_score IS NULL OR (clip_score >= 0 AND clip_score <= 1)),
    technical_score double precision CHECK (technical_score IS NULL OR (technical_score >= 0 AND technical_score <= 1)),
    final_score double precision CHECK (final_score IS NULL OR (final_score >= 0 AND final_score <= 10)),
    created_at text COLLATE "C" NOT NULL DEFAULT utc_now_text(),
    status text COLLATE "C" NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'curated', 'rejected')),
    is_featured boolean NOT NULL DEFAULT false,
    tags text COLLATE "C" DEFAULT '[]' CHECK (tags IS NULL OR tags IS JSON),
    updated_at text COLLATE "C" NOT NULL DEFAULT utc_now_text(),
    diversity_score double precision CHECK (diversity_score IS NULL OR (diversity_score >= 0 AND diversity_score <= 10))
);
CREATE INDEX idx_model_id ON generated_images (model_id);
CREATE INDEX idx_created_at ON generated_images (created_at DESC);
CREATE INDEX idx_status ON generated_images (status);
CREATE INDEX idx_final_score ON generated_images (final_score DESC);
CREATE INDEX idx_featured ON generated_images (is_featured);
CREATE INDEX idx_status_score ON generated_images (status, final_score DESC);
CREATE INDEX idx_covering ON generated_images (status, final_score, filename, created_at);
CREATE INDEX idx_diversity_score ON generated_images (diversity_score);
CREATE INDEX idx_status_created ON generated_images (status, created_at);

CREATE TABLE training_sessions (
    id bigint PRIMARY KEY CHECK (id >= 1),
    run_id text COLLATE "C" NOT NULL UNIQUE,
    name text COLLATE "C" NOT NULL,
    model_path text COLLATE "C" NOT NULL,
    config text COLLATE "C" DEFAULT '{}' CHECK (config IS NULL OR config IS JSON),
    dataset_size bigint CHECK (dataset_size IS NULL OR dataset_size >= 0),
    final_loss double precision CHECK (final_loss IS NULL OR final_loss >= 0),
    training_time_seconds double precision CHECK (training_time_seconds IS NULL OR training_time_seconds >= 0),
    metrics text COLLATE "C" DEFAULT '{}' CHECK (metrics IS NULL OR metrics IS JSON),
    started_at text COLLATE "C" NOT NULL DEFAULT utc_now_text(),
    completed_at text COLLATE "C",
    status text COLLATE "C" NOT NULL DEFAULT 'running' CHECK (status IN ('running', 'completed', 'failed')),
    failure_reason text COLLATE "C",
    updated_at text COLLATE "C" NOT NULL DEFAULT utc_now_text()
);
CREATE INDEX idx_training_name ON training_sessions (name);
CREATE INDEX idx_training_status ON training_sessions (status);
CREATE INDEX idx_training_started ON training_sessions (started_at DESC);
CREATE INDEX idx_training_listing ON training_sessions (started_at DESC, id, name, dataset_size, final_loss, training_time_seconds, status);

CREATE TABLE creation_sessions (
    id bigint PRIMARY KEY CHECK (id >= 1),
    batch_id text COLLATE "C" NOT NULL UNIQUE,
    theme text COLLATE "C",
    images_created bigint DEFAULT 0 CHECK (images_created >= 0),
    images_kept bigint DEFAULT 0 CHECK (images_kept >= 0 AND images_kept <= images_created),
    avg_score double precision CHECK (avg_score IS NULL OR (avg_score >= 0 AND avg_score <= 10)),
    started_at text COLLATE "C" NOT NULL DEFAULT utc_now_text(),
    completed_at text COLLATE "C",
    updated_at text COLLATE "C" NOT NULL DEFAULT utc_now_text()
);
CREATE INDEX idx_session_started ON creation_sessions (started_at DESC);
CREATE INDEX idx_session_theme ON creation_sessions (theme);

-- One function for the three tables: TG_ARGV names the stream key and the creation time.
CREATE FUNCTION identity_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    before jsonb := to_jsonb(OLD);
    after jsonb := to_jsonb(NEW);
BEGIN
    IF before -> TG_ARGV[0] IS DISTINCT FROM after -> TG_ARGV[0]
       OR before -> TG_ARGV[1] IS DISTINCT FROM after -> TG_ARGV[1] THEN
        RAISE EXCEPTION '%.% and % are immutable', TG_TABLE_NAME, TG_ARGV[0], TG_ARGV[1]
            USING ERRCODE = 'restrict_violation';
    END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER generated_images_identity_immutable BEFORE UPDATE OF filename, created_at ON generated_images
    FOR EACH ROW EXECUTE FUNCTION identity_immutable('filename', 'created_at');
CREATE TRIGGER training_sessions_identity_immutable BEFORE UPDATE OF run_id, started_at ON training_sessions
    FOR EACH ROW EXECUTE FUNCTION identity_immutable('run_id', 'started_at');
CREATE TRIGGER creation_sessions_identity_immutable BEFORE UPDATE OF batch_id, started_at ON creation_sessions
    FOR EACH ROW EXECUTE FUNCTION identity_immutable('batch_id', 'started_at');

CREATE TABLE quality_tiers (
    tier text COLLATE "C" PRIMARY KEY CHECK (tier IN ('Excellent', 'Good', 'Fair', 'Poor')),
    images bigint NOT NULL CHECK (images >= 0),
    scored bigint NOT NULL CHECK (scored >= 0 AND scored <= images),
    score_sum double precision NOT NULL
);

CREATE TABLE creation_days (
    day text COLLATE "C" PRIMARY KEY,
    sessions bigint NOT NULL CHECK (sessions >= 0),
    images_created bigint NOT NULL CHECK (images_created >= 0),
    images_kept bigint NOT NULL CHECK (images_kept >= 0),
    avg_score_sum double precision NOT NULL,
    avg_scores bigint NOT NULL CHECK (avg_scores >= 0 AND avg_scores <= sessions)
);

CREATE TABLE projection_state (
    projection text COLLATE "C" PRIMARY KEY,
    fingerprint text COLLATE "C" NOT NULL,
    position bigint NOT NULL CHECK (position >= 0)
);

REVOKE ALL ON generated_images, training_sessions, creation_sessions, quality_tiers, creation_days, projection_state
    FROM PUBLIC;
GRANT SELECT, INSERT, UPDATE
    ON generated_images, training_sessions, creation_sessions, quality_tiers, creation_days, projection_state
    TO artist_store_app;

-- migrate:down
REVOKE ALL ON generated_images, training_sessions, creation_sessions, quality_tiers, creation_days, projection_state
    FROM artist_store_app;
DROP TABLE projection_state;
DROP TABLE creation_days;
DROP TABLE quality_tiers;
DROP TABLE creation_sessions;
DROP TABLE training_sessions;
DROP TABLE generated_images;
DROP FUNCTION identity_immutable();
DROP FUNCTION utc_now_text();
DROP FUNCTION round_like_sqlite(double precision, integer);
