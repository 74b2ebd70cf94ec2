-- Two-tier recording (docs/cost.md): a camera may also record its sub-stream (MediaMTX path
-- `{camera_id}_sub`, keys `recordings/{camera_id}_sub/...`), registered as the same camera with quality
-- `sub`. A city keeps main-stream segments for `full_quality_days` (NULL: its `retention_days`) and
-- sub-stream segments for `retention_days`.
--
-- The segment's identity becomes (camera, start, quality): a main and a sub segment may start at the same
-- instant. Rebuilding the primary key rebuilds its index on every daily partition (once, at deploy).
ALTER TABLE segments ADD COLUMN quality text NOT NULL DEFAULT 'main' CHECK (quality IN ('main', 'sub'));
ALTER TABLE segments DROP CONSTRAINT segments_pkey;
ALTER TABLE segments ADD PRIMARY KEY (camera_id, start_at, quality);

-- What a clip was cut from, per quality (held clips keep exactly those segments).
ALTER TABLE clip_segments ADD COLUMN segment_quality text NOT NULL DEFAULT 'main'
    CHECK (segment_quality IN ('main', 'sub'));
ALTER TABLE clip_segments DROP CONSTRAINT clip_segments_pkey;
ALTER TABLE clip_segments ADD PRIMARY KEY (clip_id, camera_id, segment_start, segment_quality);

-- The camera's sub-stream (same URL rules and credentials as source_url).
ALTER TABLE cameras ADD COLUMN substream_url text;

-- The full-quality part of the city's plan, in days (<= retention_days; NULL: all of it).
ALTER TABLE cities ADD COLUMN full_quality_days integer CHECK (full_quality_days BETWEEN 1 AND 30);
