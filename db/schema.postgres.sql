-- The PostgreSQL schema, dumped from the catalog by `npm run db:dump` (see docs/postgres.md).

CREATE OR REPLACE FUNCTION public.consumers_checkpoint_rules()
 RETURNS trigger
 LANGUAGE plpgsql
AS $function$
BEGIN
    IF NEW.position > (SELECT coalesce(max(position), 0) FROM events) THEN
        RAISE EXCEPTION 'consumers: a checkpoint cannot be past the head of the log' USING ERRCODE = 'check_violation';
    END IF;
    IF TG_OP = 'UPDATE' AND NEW.position < OLD.position AND NEW.resets <= OLD.resets THEN
        RAISE EXCEPTION 'consumers: a checkpoint never moves backwards (reset the consumer instead)'
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN NEW;
END
$function$
;

CREATE OR REPLACE FUNCTION public.events_next_position()
 RETURNS trigger
 LANGUAGE plpgsql
AS $function$
DECLARE
    head bigint;
BEGIN
    SELECT coalesce(max(position), 0) INTO head FROM events;
    IF NEW.position IS DISTINCT FROM head + 1 THEN
        RAISE EXCEPTION 'events is append-only: position % is not the next one (%)', NEW.position, head + 1
            USING ERRCODE = 'restrict_violation';
    END IF;
    RETURN NEW;
END
$function$
;

CREATE OR REPLACE FUNCTION public.events_refuse_change()
 RETURNS trigger
 LANGUAGE plpgsql
AS $function$
BEGIN
    RAISE EXCEPTION 'events is append-only: % is not allowed', TG_OP USING ERRCODE = 'restrict_violation';
END
$function$
;

CREATE OR REPLACE FUNCTION public.identity_immutable()
 RETURNS trigger
 LANGUAGE plpgsql
AS $function$
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
$function$
;

CREATE OR REPLACE FUNCTION public.round_like_sqlite(x double precision, digits integer)
 RETURNS double precision
 LANGUAGE sql
 IMMUTABLE STRICT
AS $function$
    SELECT round(CASE WHEN x = 0 THEN 0::numeric ELSE
        (x * power(2::float8, k))::bigint::numeric * power(5::numeric, k) * ('1e-' || k)::numeric END, digits)::float8
    FROM (SELECT 53 - floor(ln(abs(x)) / ln(2::float8))::int AS k) AS scale
$function$
;

CREATE OR REPLACE FUNCTION public.utc_now_text()
 RETURNS text
 LANGUAGE sql
 STABLE
AS $function$
    SELECT to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')
$function$
;

CREATE TABLE consumers (
    name text COLLATE "C" NOT NULL,
    "position" bigint NOT NULL,
    resets bigint DEFAULT 0 NOT NULL,
    created_at text COLLATE "C" NOT NULL,
    updated_at text COLLATE "C" NOT NULL,
    lease_holder text COLLATE "C",
    lease_expires_at text COLLATE "C",
    CONSTRAINT consumers_check CHECK (((lease_holder IS NULL) = (lease_expires_at IS NULL))),
    CONSTRAINT consumers_lease_holder_check CHECK (((length(lease_holder) >= 1) AND (length(lease_holder) <= 200))),
    CONSTRAINT consumers_name_check CHECK (((length(name) >= 1) AND (length(name) <= 200))),
    CONSTRAINT consumers_pkey PRIMARY KEY (name),
    CONSTRAINT consumers_position_check CHECK (("position" >= 0)),
    CONSTRAINT consumers_resets_check CHECK ((resets >= 0))
);

CREATE TABLE creation_days (
    day text COLLATE "C" NOT NULL,
    sessions bigint NOT NULL,
    images_created bigint NOT NULL,
    images_kept bigint NOT NULL,
    avg_score_sum double precision NOT NULL,
    avg_scores bigint NOT NULL,
    CONSTRAINT creation_days_check CHECK (((avg_scores >= 0) AND (avg_scores <= sessions))),
    CONSTRAINT creation_days_images_created_check CHECK ((images_created >= 0)),
    CONSTRAINT creation_days_images_kept_check CHECK ((images_kept >= 0)),
    CONSTRAINT creation_days_pkey PRIMARY KEY (day),
    CONSTRAINT creation_days_sessions_check CHECK ((sessions >= 0))
);

CREATE TABLE creation_sessions (
    id bigint NOT NULL,
    batch_id text COLLATE "C" NOT NULL,
    theme text COLLATE "C",
    images_created bigint DEFAULT 0,
    images_kept bigint DEFAULT 0,
    avg_score double precision,
    started_at text COLLATE "C" DEFAULT utc_now_text() NOT NULL,
    completed_at text COLLATE "C",
    updated_at text COLLATE "C" DEFAULT utc_now_text() NOT NULL,
    CONSTRAINT creation_sessions_avg_score_check CHECK (((avg_score IS NULL) OR ((avg_score >= (0)::double precision) AND (avg_score <= (10)::double precision)))),
    CONSTRAINT creation_sessions_batch_id_key UNIQUE (batch_id),
    CONSTRAINT creation_sessions_check CHECK (((images_kept >= 0) AND (images_kept <= images_created))),
    CONSTRAINT creation_sessions_id_check CHECK ((id >= 1)),
    CONSTRAINT creation_sessions_images_created_check CHECK ((images_created >= 0)),
    CONSTRAINT creation_sessions_pkey PRIMARY KEY (id)
);

CREATE TABLE events (
    "position" bigint NOT NULL,
    event_id text COLLATE "C" NOT NULL,
    stream_id text COLLATE "C" NOT NULL,
    stream_version bigint NOT NULL,
    type text COLLATE "C" NOT NULL,
    schema_version integer NOT NULL,
    data text COLLATE "C" NOT NULL,
    metadata text COLLATE "C" DEFAULT '{}'::text NOT NULL,
    occurred_at text COLLATE "C" NOT NULL,
    recorded_at text COLLATE "C" NOT NULL,
    hash text COLLATE "C" NOT NULL,
    CONSTRAINT events_data_check CHECK ((data IS JSON)),
    CONSTRAINT events_event_id_key UNIQUE (event_id),
    CONSTRAINT events_hash_check CHECK ((hash ~ '^[0-9a-f]{64}$'::text)),
    CONSTRAINT events_metadata_check CHECK ((metadata IS JSON)),
    CONSTRAINT events_pkey PRIMARY KEY ("position"),
    CONSTRAINT events_position_check CHECK (("position" >= 1)),
    CONSTRAINT events_schema_version_check CHECK ((schema_version >= 1)),
    CONSTRAINT events_stream_id_stream_version_key UNIQUE (stream_id, stream_version),
    CONSTRAINT events_stream_version_check CHECK ((stream_version >= 1))
);

CREATE TABLE generated_images (
    id bigint NOT NULL,
    filename text COLLATE "C" NOT NULL,
    prompt text COLLATE "C" NOT NULL,
    negative_prompt text COLLATE "C" DEFAULT ''::text,
    source_url text COLLATE "C",
    source_query text COLLATE "C",
    model_id text COLLATE "C" NOT NULL,
    generation_params text COLLATE "C" DEFAULT '{}'::text,
    seed bigint,
    aesthetic_score double precision,
    clip_score double precision,
    technical_score double precision,
    final_score double precision,
    created_at text COLLATE "C" DEFAULT utc_now_text() NOT NULL,
    status text COLLATE "C" DEFAULT 'pending'::text NOT NULL,
    is_featured boolean DEFAULT false NOT NULL,
    tags text COLLATE "C" DEFAULT '[]'::text,
    updated_at text COLLATE "C" DEFAULT utc_now_text() NOT NULL,
    diversity_score double precision,
    CONSTRAINT generated_images_aesthetic_score_check CHECK (((aesthetic_score IS NULL) OR ((aesthetic_score >= (0)::double precision) AND (aesthetic_score <= (10)::double precision)))),
    CONSTRAINT generated_images_clip_score_check CHECK (((clip_score IS NULL) OR ((clip_score >= (0)::double precision) AND (clip_score <= (1)::double precision)))),
    CONSTRAINT generated_images_diversity_score_check CHECK (((diversity_score IS NULL) OR ((diversity_score >= (0)::double precision) AND (diversity_score <= (10)::double precision)))),
    CONSTRAINT generated_images_filename_key UNIQUE (filename),
    CONSTRAINT generated_images_final_score_check CHECK (((final_score IS NULL) OR ((final_score >= (0)::double precision) AND (final_score <= (10)::double precision)))),
    CONSTRAINT generated_images_generation_params_check CHECK (((generation_params IS NULL) OR (generation_params IS JSON))),
    CONSTRAINT generated_images_id_check CHECK ((id >= 1)),
    CONSTRAINT generated_images_pkey PRIMARY KEY (id),
    CONSTRAINT generated_images_status_check CHECK ((status = ANY (ARRAY['pending'::text, 'curated'::text, 'rejected'::text]))),
    CONSTRAINT generated_images_tags_check CHECK (((tags IS NULL) OR (tags IS JSON))),
    CONSTRAINT generated_images_technical_score_check CHECK (((technical_score IS NULL) OR ((technical_score >= (0)::double precision) AND (technical_score <= (1)::double precision))))
);

CREATE TABLE projection_state (
    projection text COLLATE "C" NOT NULL,
    fingerprint text COLLATE "C" NOT NULL,
    "position" bigint NOT NULL,
    CONSTRAINT projection_state_pkey PRIMARY KEY (projection),
    CONSTRAINT projection_state_position_check CHECK (("position" >= 0))
);

CREATE TABLE quality_tiers (
    tier text COLLATE "C" NOT NULL,
    images bigint NOT NULL,
    scored bigint NOT NULL,
    score_sum double precision NOT NULL,
    CONSTRAINT quality_tiers_check CHECK (((scored >= 0) AND (scored <= images))),
    CONSTRAINT quality_tiers_images_check CHECK ((images >= 0)),
    CONSTRAINT quality_tiers_pkey PRIMARY KEY (tier),
    CONSTRAINT quality_tiers_tier_check CHECK ((tier = ANY (ARRAY['Excellent'::text, 'Good'::text, 'Fair'::text, 'Poor'::text])))
);

CREATE TABLE schema_migrations (
    version character varying NOT NULL,
    CONSTRAINT schema_migrations_pkey PRIMARY KEY (version)
);

CREATE TABLE training_sessions (
    id bigint NOT NULL,
    run_id text COLLATE "C" NOT NULL,
    name text COLLATE "C" NOT NULL,
    model_path text COLLATE "C" NOT NULL,
    config text COLLATE "C" DEFAULT '{}'::text,
    dataset_size bigint,
    final_loss double precision,
    training_time_seconds double precision,
    metrics text COLLATE "C" DEFAULT '{}'::text,
    started_at text COLLATE "C" DEFAULT utc_now_text() NOT NULL,
    completed_at text COLLATE "C",
    status text COLLATE "C" DEFAULT 'running'::text NOT NULL,
    failure_reason text COLLATE "C",
    updated_at text COLLATE "C" DEFAULT utc_now_text() NOT NULL,
    CONSTRAINT training_sessions_config_check CHECK (((config IS NULL) OR (config IS JSON))),
    CONSTRAINT training_sessions_dataset_size_check CHECK (((dataset_size IS NULL) OR (dataset_size >= 0))),
    CONSTRAINT training_sessions_final_loss_check CHECK (((final_loss IS NULL) OR (final_loss >= (0)::double precision))),
    CONSTRAINT training_sessions_id_check CHECK ((id >= 1)),
    CONSTRAINT training_sessions_metrics_check CHECK (((metrics IS NULL) OR (metrics IS JSON))),
    CONSTRAINT training_sessions_pkey PRIMARY KEY (id),
    CONSTRAINT training_sessions_run_id_key UNIQUE (run_id),
    CONSTRAINT training_sessions_status_check CHECK ((status = ANY (ARRAY['running'::text, 'completed'::text, 'failed'::text]))),
    CONSTRAINT training_sessions_training_time_seconds_check CHECK (((training_time_seconds IS NULL) OR (training_time_seconds >= (0)::double precision)))
);

CREATE INDEX idx_covering ON public.generated_images USING btree (status, final_score, filename, created_at);

CREATE INDEX idx_created_at ON public.generated_images USING btree (created_at DESC);

CREATE INDEX idx_diversity_score ON public.generated_images USING btree (diversity_score);

CREATE INDEX idx_featured ON public.generated_images USING btree (is_featured);

CREATE INDEX idx_final_score ON public.generated_images USING btree (final_score DESC);

CREATE INDEX idx_model_id ON public.generated_images USING btree (model_id);

CREATE INDEX idx_session_started ON public.creation_sessions USING btree (started_at DESC);

CREATE INDEX idx_session_theme ON public.creation_sessions USING btree (theme);

CREATE INDEX idx_status ON public.generated_images USING btree (status);

CREATE INDEX idx_status_created ON public.generated_images USING btree (status, created_at);

CREATE INDEX idx_status_score ON public.generated_images USING btree (status, final_score DESC);

CREATE INDEX idx_training_listing ON public.training_sessions USING btree (started_at DESC, id, name, dataset_size, final_loss, training_time_seconds, status);

CREATE INDEX idx_training_name ON public.training_sessions USING btree (name);

CREATE INDEX idx_training_started ON public.training_sessions USING btree (started_at DESC);

CREATE INDEX idx_training_status ON public.training_sessions USING btree (status);

CREATE TRIGGER consumers_within_log BEFORE INSERT OR UPDATE OF "position" ON public.consumers FOR EACH ROW EXECUTE FUNCTION consumers_checkpoint_rules();

CREATE TRIGGER creation_sessions_identity_immutable BEFORE UPDATE OF batch_id, started_at ON public.creation_sessions FOR EACH ROW EXECUTE FUNCTION identity_immutable('batch_id', 'started_at');

CREATE TRIGGER events_next_position BEFORE INSERT ON public.events FOR EACH ROW EXECUTE FUNCTION events_next_position();

CREATE TRIGGER events_no_delete BEFORE DELETE ON public.events FOR EACH ROW EXECUTE FUNCTION events_refuse_change();

CREATE TRIGGER events_no_truncate BEFORE TRUNCATE ON public.events FOR EACH STATEMENT EXECUTE FUNCTION events_refuse_change();

CREATE TRIGGER events_no_update BEFORE UPDATE ON public.events FOR EACH ROW EXECUTE FUNCTION events_refuse_change();

CREATE TRIGGER generated_images_identity_immutable BEFORE UPDATE OF filename, created_at ON public.generated_images FOR EACH ROW EXECUTE FUNCTION identity_immutable('filename', 'created_at');

CREATE TRIGGER training_sessions_identity_immutable BEFORE UPDATE OF run_id, started_at ON public.training_sessions FOR EACH ROW EXECUTE FUNCTION identity_immutable('run_id', 'started_at');

GRANT DELETE, INSERT, SELECT, UPDATE ON consumers TO artist_store_app;

GRANT INSERT, SELECT, UPDATE ON creation_days TO artist_store_app;

GRANT INSERT, SELECT, UPDATE ON creation_sessions TO artist_store_app;

GRANT INSERT, SELECT ON events TO artist_store_app;

GRANT INSERT, SELECT, UPDATE ON generated_images TO artist_store_app;

GRANT INSERT, SELECT, UPDATE ON projection_state TO artist_store_app;

GRANT INSERT, SELECT, UPDATE ON quality_tiers TO artist_store_app;

GRANT SELECT ON schema_migrations TO artist_store_app;

GRANT INSERT, SELECT, UPDATE ON training_sessions TO artist_store_app;

-- Dbmate schema migrations
INSERT INTO schema_migrations (version) VALUES
  ('20261130000001'),
  ('20261130000002'),
  ('20261130000003');
