-- Sentinela on two-tier cameras: a search plans one segment per recorded span, main where it was recorded and the
-- sub-stream in main's gaps (`recordings.tiers.best`), so a planned segment is also identified by its quality.
-- Before, both tiers of a span were planned: twice the analysis, duplicate sightings, and — when a main and a
-- sub segment started at the same instant — one of them dropped by the primary key while the search's total
-- still counted it, so the search never completed.
ALTER TABLE sentinela_segments ADD COLUMN segment_quality text NOT NULL DEFAULT 'main'
    CHECK (segment_quality IN ('main', 'sub'));
ALTER TABLE sentinela_segments DROP CONSTRAINT sentinela_segments_pkey;
ALTER TABLE sentinela_segments ADD PRIMARY KEY (search_id, camera_id, start_at, segment_quality);
