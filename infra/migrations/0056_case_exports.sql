-- Multi-camera export packages of a case: one row per package, one part per camera (one SQS job each); the
-- last part to finish hands the package to the packaging job (fan-in). Claims are leases, as for clips.
CREATE TABLE case_exports (
    id                  uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    case_id             uuid NOT NULL REFERENCES cases (id) ON DELETE RESTRICT,
    city_id             uuid NOT NULL REFERENCES cities (id) ON DELETE RESTRICT,
    start_at            timestamptz NOT NULL,
    end_at              timestamptz NOT NULL,
    mode                text NOT NULL DEFAULT 'exact' CHECK (mode IN ('fast', 'exact')),
    redact_faces        boolean NOT NULL DEFAULT false,
    redact_plates       boolean NOT NULL DEFAULT false,
    timestamp_overlay   boolean NOT NULL DEFAULT false,
    lift_masks_reason   text,
    status              text NOT NULL DEFAULT 'queued'
                        CHECK (status IN ('queued', 'processing', 'packaging', 'ready', 'failed')),
    package_key         text,
    package_sha256      text,
    package_size_bytes  bigint,
    manifest            jsonb,
    error               text,
    requested_by        uuid,
    requested_by_name   text,
    claim_token         uuid,
    lease_until         timestamptz,
    attempts            integer NOT NULL DEFAULT 0,
    requeues            integer NOT NULL DEFAULT 0,
    created_at          timestamptz NOT NULL DEFAULT now(),
    updated_at          timestamptz NOT NULL DEFAULT now(),
    finished_at         timestamptz,
    CHECK (end_at > start_at)
);
CREATE INDEX case_exports_case_idx ON case_exports (case_id, created_at DESC, id DESC);
CREATE INDEX case_exports_unfinished_idx ON case_exports (updated_at) WHERE status IN ('queued', 'processing', 'packaging');

CREATE TABLE export_parts (
    export_id       uuid NOT NULL REFERENCES case_exports (id) ON DELETE CASCADE,
    camera_id       uuid NOT NULL,
    position        integer NOT NULL,
    status          text NOT NULL DEFAULT 'queued' CHECK (status IN ('queued', 'processing', 'ready', 'failed')),
    claim_token     uuid,
    lease_until     timestamptz,
    attempts        integer NOT NULL DEFAULT 0,
    requeues        integer NOT NULL DEFAULT 0,
    s3_key          text,
    sha256          text,
    size_bytes      bigint,
    duration_s      double precision,
    lead_s          double precision,
    detail          jsonb NOT NULL DEFAULT '{}',
    error           text,
    updated_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (export_id, camera_id)
);
CREATE INDEX export_parts_unfinished_idx ON export_parts (updated_at) WHERE status IN ('queued', 'processing');
