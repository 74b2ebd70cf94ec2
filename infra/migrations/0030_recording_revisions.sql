-- Every change of a recording's content is its own incident: a segment counts how many times the content
-- under its key changed after the first registration, and each `recording_changed` alert is keyed by that
-- revision, so A -> B -> A -> B on one key raises three alerts (a hash seen before alerts again).
ALTER TABLE segments ADD COLUMN revision integer NOT NULL DEFAULT 0;
