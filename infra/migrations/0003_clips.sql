-- Clips: exports of a camera's recordings over a time range, their source segments and legal holds.
CREATE TABLE clips (
    id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    camera_id       uuid NOT NULL REFERENCES cameras (id) ON DELETE RESTRICT,
    city_id         uuid NOT NULL REFERENCES cities (id) ON DELETE RESTRICT,
    start_at        timestamptz NOT NULL,
    end_at          timestamptz NOT NULL,
    mode            text NOT NULL DEFAULT 'fast' CHECK (mode IN ('fast', 'exact')),
    status          text NOT NULL DEFAULT 'queued' CHECK (status IN ('queued', 'processing', 'ready', 'failed')),
    duration_s      double precision,
    size_bytes      bigint,
    sha256          text,
    s3_key          text,
    manifest_key    text,
    manifest        jsonb,
    error           text,
    requested_by    uuid,
    requested_by_name text,
    -- The worker's claim: a redelivered message finds the clip taken until the lease expires.
    claim_token     uuid,
    lease_until     timestamptz,
    attempts        integer NOT NULL DEFAULT 0,
    held            boolean NOT NULL DEFAULT false,
    hold_reason     text,
    held_by         uuid,
    held_at         timestamptz,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    CHECK (end_at > start_at),
    CHECK (NOT held OR hold_reason IS NOT NULL)
);
CREATE INDEX clips_city_idx ON clips (city_id, created_at DESC, id DESC);
CREATE INDEX clips_camera_idx ON clips (camera_id, created_at DESC, id DESC);

-- The segments a clip was cut from (no foreign key: segments of clips without a hold still expire).
-- Retention skips every segment listed here for a clip that is held.
CREATE TABLE clip_segments (
    clip_id         uuid NOT NULL REFERENCES clips (id) ON DELETE CASCADE,
    camera_id       uuid NOT NULL,
    segment_start   timestamptz NOT NULL,
    PRIMARY KEY (clip_id, camera_id, segment_start)
);
CREATE INDEX clip_segments_segment_idx ON clip_segments (camera_id, segment_start);
