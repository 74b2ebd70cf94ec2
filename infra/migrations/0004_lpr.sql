-- LPR: plate reads (camera webhooks and batch ingest), per-city watchlists and alerts.
-- Design notes: docs/adr/0006-plate-search.md.

-- One row per camera read. Not partitioned: idempotency needs a global UNIQUE (camera_id, event_id)
-- (a partitioned table can only enforce uniqueness that includes the partition key), and retention
-- anonymises rows in place instead of dropping old ones, so monthly partitions would buy little.
-- No foreign keys: reads are evidence that outlives a deleted camera, and FK triggers would cost
-- on every row of a bulk COPY (the camera and its city are resolved by the ingest code instead).
CREATE TABLE plate_reads (
    id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    city_id         uuid NOT NULL,
    camera_id       uuid NOT NULL,
    event_id        text NOT NULL CHECK (length(event_id) BETWEEN 1 AND 128),
    -- Normalised plate (ABC1234 / ABC1D23). No format CHECK: retention replaces it by a keyed hash.
    plate           text NOT NULL,
    -- OCR skeleton and its 7 wildcard keys (gtvision.plates); NULL once anonymised.
    plate_skeleton  text,
    plate_keys      text[],
    confidence      real NOT NULL CHECK (confidence BETWEEN 0 AND 1),
    captured_at     timestamptz NOT NULL,
    image_key       text,
    vehicle         jsonb,
    direction       text,
    created_at      timestamptz NOT NULL DEFAULT now(),
    anonymised_at   timestamptz,
    CONSTRAINT plate_reads_camera_event_uq UNIQUE (camera_id, event_id)
);
-- exact (=) and prefix (LIKE 'ABC%') search, trajectories and the clone check: one B-tree.
-- text_pattern_ops keeps prefix LIKE indexable whatever the database collation.
CREATE INDEX plate_reads_city_plate_idx ON plate_reads (city_id, plate text_pattern_ops, captured_at);
-- fuzzy search: reads sharing a wildcard key with the query (each key bucket is tiny).
CREATE INDEX plate_reads_keys_gin ON plate_reads USING gin (plate_keys);
-- time-range listings per city and per camera; retention's scan by city and age.
CREATE INDEX plate_reads_city_time_idx ON plate_reads (city_id, captured_at);
CREATE INDEX plate_reads_camera_time_idx ON plate_reads (camera_id, captured_at);

CREATE TABLE watchlist (
    id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    city_id         uuid NOT NULL REFERENCES cities (id) ON DELETE CASCADE,
    plate           text NOT NULL,
    reason          text NOT NULL CHECK (length(reason) BETWEEN 1 AND 500),
    fuzzy           boolean NOT NULL DEFAULT false,
    created_by      uuid,
    created_at      timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT watchlist_city_plate_uq UNIQUE (city_id, plate)
);
CREATE INDEX watchlist_city_created_idx ON watchlist (city_id, created_at, id);
-- The 7 wildcard keys of each fuzzy entry: matching a batch of reads is then an equality join
-- (read keys = entry keys), not an array-overlap test of every read against every entry.
CREATE TABLE watchlist_keys (
    city_id         uuid NOT NULL,
    key             text NOT NULL,
    watchlist_id    uuid NOT NULL REFERENCES watchlist (id) ON DELETE CASCADE,
    PRIMARY KEY (city_id, key, watchlist_id)
);
CREATE INDEX watchlist_keys_entry_idx ON watchlist_keys (watchlist_id);

CREATE TABLE alerts (
    id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    city_id         uuid NOT NULL,
    kind            text NOT NULL CHECK (kind IN ('watchlist', 'clone_suspect')),
    plate           text NOT NULL,
    camera_id       uuid,
    captured_at     timestamptz,
    read_ids        uuid[] NOT NULL,
    watchlist_id    uuid,
    -- What makes an alert unique: (watchlist entry, read) or the sorted pair of reads, so
    -- redelivered batches and both sides of a clone pair never raise it twice.
    dedup_key       text NOT NULL,
    status          text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'investigating', 'closed')),
    detail          jsonb NOT NULL DEFAULT '{}'::jsonb,
    created_at      timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT alerts_kind_dedup_uq UNIQUE (kind, dedup_key)
);
CREATE INDEX alerts_city_created_idx ON alerts (city_id, created_at DESC, id DESC);
CREATE INDEX alerts_read_ids_gin ON alerts USING gin (read_ids);
