-- Mosaics: saved layouts of up to four live cameras for the operators' wall.
CREATE TABLE mosaics (
    id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    city_id     uuid NOT NULL REFERENCES cities (id) ON DELETE CASCADE,
    name        text NOT NULL CHECK (length(name) BETWEEN 1 AND 120),
    layout      text NOT NULL CHECK (layout IN ('1x1', '1x2', '2x2')),
    camera_ids  uuid[] NOT NULL CHECK (cardinality(camera_ids) BETWEEN 1 AND 4),
    created_by  uuid,
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX mosaics_city_idx ON mosaics (city_id, created_at, id);
