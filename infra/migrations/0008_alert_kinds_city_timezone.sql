-- v1.1 groundwork shared by several features, so their own migrations never rewrite the same constraint:
-- alerts gain the health and evidence kinds (which carry no plate and no reads) and a resolution time;
-- cities gain an IANA timezone (camera local times, console dates).
ALTER TABLE alerts DROP CONSTRAINT IF EXISTS alerts_kind_check;
ALTER TABLE alerts ADD CONSTRAINT alerts_kind_check
    CHECK (kind IN ('watchlist', 'clone_suspect', 'recording_changed', 'camera_offline', 'recording_stalled'));
ALTER TABLE alerts ALTER COLUMN plate DROP NOT NULL;
ALTER TABLE alerts ALTER COLUMN read_ids SET DEFAULT '{}'::uuid[];
ALTER TABLE alerts ADD COLUMN resolved_at timestamptz;
CREATE INDEX alerts_city_open_idx ON alerts (city_id, kind) WHERE resolved_at IS NULL;

ALTER TABLE cities ADD COLUMN timezone text NOT NULL DEFAULT 'America/Sao_Paulo';
