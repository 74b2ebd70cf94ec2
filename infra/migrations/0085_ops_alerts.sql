-- Ops alerts: the platform faults Alertmanager posts to POST /v1/hooks/alertmanager (local Prometheus rules, the
-- CloudWatch alarms' twins). They belong to no city (admins list them), so city_id may be NULL for that kind only;
-- one row per firing episode (dedup_key = Alertmanager's fingerprint and start).
ALTER TABLE alerts DROP CONSTRAINT IF EXISTS alerts_kind_check;
ALTER TABLE alerts ADD CONSTRAINT alerts_kind_check
    CHECK (kind IN ('watchlist', 'hotlist', 'clone_suspect', 'recording_changed', 'camera_offline', 'recording_stalled',
                    'ops'));
ALTER TABLE alerts ALTER COLUMN city_id DROP NOT NULL;
ALTER TABLE alerts ADD CONSTRAINT alerts_city_unless_ops CHECK (city_id IS NOT NULL OR kind = 'ops');
