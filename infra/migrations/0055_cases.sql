-- Cases (contract v1.2, "Cases and evidence"): an incident, a police or court request, a data subject's
-- request, gathered under a number with its items; the chain of custody of everything done with it; and
-- the legal holds a case places on the recordings its items come from.
CREATE TABLE cases (
    id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    city_id         uuid NOT NULL REFERENCES cities (id) ON DELETE RESTRICT,
    title           text NOT NULL CHECK (length(title) BETWEEN 1 AND 200),
    reference       text CHECK (reference IS NULL OR length(reference) <= 200),
    category        text NOT NULL CHECK (category IN
                        ('ocorrencia', 'requisicao_policial', 'requisicao_judicial', 'lgpd_titular', 'interno')),
    status          text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'closed')),
    created_by      uuid,
    created_by_name text,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    closed_at       timestamptz,
    closed_by       uuid,
    -- Once closed: the case's holds stand until then (GTV_CASE_KEEP_DAYS), then the normal retention applies.
    keep_until      timestamptz,
    -- When the keep period ended and the case's holds were given back to retention.
    holds_released_at timestamptz,
    CHECK (status = 'open' OR closed_at IS NOT NULL)
);
CREATE INDEX cases_city_idx ON cases (city_id, created_at DESC, id DESC);
CREATE INDEX cases_creator_idx ON cases (created_by, created_at DESC, id DESC);

-- What a case gathers: clips, plate reads, Sentinela sightings, bookmarks and notes. `camera_id` and the
-- window are the recordings the item comes from (what the case holds); a note has none.
CREATE TABLE case_items (
    id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    case_id         uuid NOT NULL REFERENCES cases (id) ON DELETE CASCADE,
    kind            text NOT NULL CHECK (kind IN ('clip', 'lpr_read', 'sighting', 'bookmark', 'note')),
    ref_id          uuid,
    text            text CHECK (text IS NULL OR length(text) <= 4000),
    camera_id       uuid,
    start_at        timestamptz,
    end_at          timestamptz,
    label           text,
    added_by        uuid,
    added_by_name   text,
    created_at      timestamptz NOT NULL DEFAULT now(),
    CHECK (kind = 'note' OR ref_id IS NOT NULL),
    CHECK (kind <> 'note' OR text IS NOT NULL)
);
CREATE UNIQUE INDEX case_items_ref_uq ON case_items (case_id, kind, ref_id) WHERE ref_id IS NOT NULL;
CREATE INDEX case_items_case_idx ON case_items (case_id, created_at, id);

-- The chain of custody: append-only (no UPDATE or DELETE is ever issued on it).
CREATE TABLE custody_events (
    id              bigserial PRIMARY KEY,
    case_id         uuid NOT NULL REFERENCES cases (id) ON DELETE CASCADE,
    at              timestamptz NOT NULL DEFAULT clock_timestamp(),
    kind            text NOT NULL,
    actor_id        uuid,
    actor           text NOT NULL,
    source_ip       text,
    user_agent      text,
    detail          jsonb NOT NULL DEFAULT '{}'
);
CREATE INDEX custody_events_case_idx ON custody_events (case_id, at, id);

-- Recording segments on legal hold because of a case: while the case is open (`until` NULL) and, once it is
-- closed, until its keep_until. Retention skips every segment with a hold in force (no foreign key: the
-- segment's row is partitioned by day, and a hold outlives nothing it protects).
CREATE TABLE segment_holds (
    case_id         uuid NOT NULL REFERENCES cases (id) ON DELETE CASCADE,
    camera_id       uuid NOT NULL,
    segment_start   timestamptz NOT NULL,
    until           timestamptz,
    PRIMARY KEY (case_id, camera_id, segment_start)
);
CREATE INDEX segment_holds_segment_idx ON segment_holds (camera_id, segment_start);
CREATE INDEX segment_holds_start_idx ON segment_holds (segment_start);

-- A clip's legal hold may name the case it belongs to (contract: holds take a reason and an optional case).
ALTER TABLE clips ADD COLUMN hold_case_id uuid REFERENCES cases (id) ON DELETE SET NULL;
CREATE INDEX clips_hold_case_idx ON clips (hold_case_id) WHERE hold_case_id IS NOT NULL;
