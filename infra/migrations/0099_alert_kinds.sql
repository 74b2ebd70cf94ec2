-- Every kind of alert, in one place: features added kinds in their own migrations (some read the list back, some
-- restated it), so the last word on the list is here. A new kind is added to this list by a later migration.
ALTER TABLE alerts DROP CONSTRAINT IF EXISTS alerts_kind_check;
ALTER TABLE alerts ADD CONSTRAINT alerts_kind_check
    CHECK (kind IN ('watchlist', 'hotlist', 'clone_suspect', 'recording_changed', 'camera_offline', 'recording_stalled',
                    'camera_tampered', 'ops'));
