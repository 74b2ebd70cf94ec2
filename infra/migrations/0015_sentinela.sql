-- Sentinela (issue 15): vehicle colour/type on plate reads, Intelbras/Dahua ITS cameras (Digest
-- credentials, keep-alives) and asynchronous vehicle search jobs. Design: docs/adr/0018-sentinela.md.

-- Normalised vehicle attributes (gtvision.vehicles); the raw words stay in `vehicle` (jsonb).
ALTER TABLE plate_reads ADD COLUMN vehicle_color text;
ALTER TABLE plate_reads ADD COLUMN vehicle_type text;
-- Reads stored before this migration: words already in the contract vocabulary are kept as they are.
UPDATE plate_reads SET
    vehicle_color = CASE WHEN lower(vehicle->>'color') IN ('branco', 'preto', 'prata', 'cinza', 'vermelho', 'azul',
        'verde', 'amarelo', 'marrom', 'bege', 'laranja', 'outro') THEN lower(vehicle->>'color') END,
    vehicle_type = CASE WHEN lower(vehicle->>'type') IN ('carro', 'moto', 'caminhao', 'onibus', 'van', 'caminhonete',
        'outro') THEN lower(vehicle->>'type') END
WHERE vehicle IS NOT NULL;
-- "black pickups in the city between 14h and 16h", newest first: equality on (city, colour) or
-- (city, type), then a backward range scan on captured_at (no sort). With a plate, the plate index wins.
CREATE INDEX plate_reads_city_color_time_idx ON plate_reads (city_id, vehicle_color, captured_at)
    WHERE vehicle_color IS NOT NULL;
CREATE INDEX plate_reads_city_type_time_idx ON plate_reads (city_id, vehicle_type, captured_at)
    WHERE vehicle_type IS NOT NULL;

-- Intelbras/Dahua ITS push: per-camera HTTP Digest credentials (password encrypted like camera
-- passwords, write-only) and the last keep-alive (camera health reads it: no keep-alive → offline).
ALTER TABLE cameras ADD COLUMN lpr_digest_username text;
ALTER TABLE cameras ADD COLUMN lpr_digest_password_enc bytea;
ALTER TABLE cameras ADD COLUMN lpr_keepalive_at timestamptz;
ALTER TABLE cameras ADD COLUMN lpr_device_info jsonb;

CREATE TABLE sentinela_searches (
    id              uuid PRIMARY KEY,
    city_id         uuid NOT NULL,
    created_by      uuid,
    criteria        jsonb NOT NULL,
    status          text NOT NULL DEFAULT 'pending'
                    CHECK (status IN ('pending', 'processing', 'completed', 'failed', 'cancelled')),
    segments_total  integer NOT NULL DEFAULT 0,
    segments_done   integer NOT NULL DEFAULT 0,
    error           text,
    created_at      timestamptz NOT NULL DEFAULT now(),
    finished_at     timestamptz
);
CREATE INDEX sentinela_searches_city_created_idx ON sentinela_searches (city_id, created_at DESC, id DESC);

-- One row per (search, recording segment) of stage 2: what makes the analysis idempotent and the
-- progress countable. A redelivered message finds its row 'done' and stores nothing twice.
CREATE TABLE sentinela_segments (
    search_id       uuid NOT NULL REFERENCES sentinela_searches (id) ON DELETE CASCADE,
    camera_id       uuid NOT NULL,
    start_at        timestamptz NOT NULL,
    status          text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'done', 'failed', 'skipped')),
    frames          integer,
    sightings       integer,
    error           text,
    finished_at     timestamptz,
    PRIMARY KEY (search_id, camera_id, start_at)
);

CREATE TABLE sentinela_results (
    id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    search_id       uuid NOT NULL REFERENCES sentinela_searches (id) ON DELETE CASCADE,
    camera_id       uuid NOT NULL,
    captured_at     timestamptz NOT NULL,
    source          text NOT NULL CHECK (source IN ('lpr', 'video')),
    read_id         uuid,
    segment_start   timestamptz,
    plate           text,
    color           text,
    type            text,
    confidence      real,
    image_key       text,
    bbox            jsonb,
    created_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX sentinela_results_search_time_idx ON sentinela_results (search_id, captured_at, id);
CREATE UNIQUE INDEX sentinela_results_read_uq ON sentinela_results (search_id, read_id) WHERE read_id IS NOT NULL;
