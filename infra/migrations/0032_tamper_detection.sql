-- Tamper detection (docs/adr/0027-tamper-detection.md): per camera, the reference view the picture is
-- compared with (the first recorded view by default; a manager may take the current one) and the state of
-- the comparison — the latest view, and how many consecutive segments looked covered, defocused or moved.
-- Views are small grids computed from the keyframes segment registration already decodes: a 64x36 luma
-- grid (bytea, 2,304 bytes) and the picture's sharpness, mean and contrast.
CREATE TABLE camera_views (
    camera_id            uuid PRIMARY KEY REFERENCES cameras (id) ON DELETE CASCADE,
    city_id              uuid NOT NULL,
    reference_luma       bytea NOT NULL,
    reference_sharpness  double precision NOT NULL,
    reference_at         timestamptz NOT NULL,   -- start of the segment the reference was taken from
    reference_source     text NOT NULL CHECK (reference_source IN ('first_recording', 'manager')),
    reference_thumb_key  text,
    last_luma            bytea NOT NULL,
    last_sharpness       double precision NOT NULL,
    last_mean            double precision NOT NULL,
    last_contrast        double precision NOT NULL,
    last_at              timestamptz NOT NULL,   -- start of the latest segment seen
    last_thumb_key       text,
    suspect_reason       text CHECK (suspect_reason IN ('covered', 'defocused', 'moved')),
    suspect_count        integer NOT NULL DEFAULT 0,
    updated_at           timestamptz NOT NULL DEFAULT now()
);

-- Alerts gain the kind `camera_tampered` (whatever kinds other migrations added: the list is read back).
DO $$
DECLARE
    kinds text[];
BEGIN
    SELECT array_agg(m[1]) INTO kinds
    FROM regexp_matches(
        (SELECT pg_get_constraintdef(oid) FROM pg_constraint
         WHERE conname = 'alerts_kind_check' AND conrelid = 'alerts'::regclass),
        '''([a-z_]+)''', 'g') AS m;
    IF kinds IS NULL OR NOT ('camera_tampered' = ANY (kinds)) THEN
        ALTER TABLE alerts DROP CONSTRAINT IF EXISTS alerts_kind_check;
        EXECUTE format('ALTER TABLE alerts ADD CONSTRAINT alerts_kind_check CHECK (kind = ANY (%L::text[]))',
                       array_append(coalesce(kinds, '{}'::text[]), 'camera_tampered'));
    END IF;
END
$$;

-- One open tamper incident per camera at most (concurrent registrations cannot open two).
CREATE UNIQUE INDEX alerts_tamper_open_uq ON alerts (kind, camera_id)
    WHERE resolved_at IS NULL AND kind = 'camera_tampered';
