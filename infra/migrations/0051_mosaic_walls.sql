-- Video walls (contract v1.2, "Control room"): layouts 1x1, 2x2, 3x3, 4x4 and 1+5 (1x2 kept for mosaics made
-- before), up to 16 cameras, and an optional tour `{"dwell_s": 10–300, "pages": [[camera ids], …]}`.
ALTER TABLE mosaics DROP CONSTRAINT mosaics_layout_check;
ALTER TABLE mosaics ADD CONSTRAINT mosaics_layout_check CHECK (layout IN ('1x1', '1x2', '2x2', '3x3', '4x4', '1+5'));
ALTER TABLE mosaics DROP CONSTRAINT mosaics_camera_ids_check;
ALTER TABLE mosaics ADD CONSTRAINT mosaics_camera_ids_check CHECK (cardinality(camera_ids) BETWEEN 1 AND 16);
ALTER TABLE mosaics ADD COLUMN tour jsonb CHECK (tour IS NULL OR jsonb_typeof(tour) = 'object');
