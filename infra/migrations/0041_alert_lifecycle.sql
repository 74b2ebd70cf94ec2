-- The control room's alert lifecycle: open → acknowledged → closed (with a note), who did each step and when,
-- and a priority the console sounds for. `investigating` (v1.1) becomes `acknowledged`; a writer that still
-- says `investigating` is translated, so its retention effect (the alert's reads are kept) stays.
ALTER TABLE alerts DROP CONSTRAINT IF EXISTS alerts_status_check;
UPDATE alerts SET status = 'acknowledged' WHERE status = 'investigating';
ALTER TABLE alerts ADD CONSTRAINT alerts_status_check CHECK (status IN ('open', 'acknowledged', 'closed'));

CREATE FUNCTION alerts_status_alias() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.status = 'investigating' THEN
        NEW.status := 'acknowledged';
    END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER alerts_status_alias BEFORE INSERT OR UPDATE OF status ON alerts
    FOR EACH ROW EXECUTE FUNCTION alerts_status_alias();

-- Kinds of the control room (tamper detection) and of the sharing programs (hotlists), beside v1.1's.
ALTER TABLE alerts DROP CONSTRAINT IF EXISTS alerts_kind_check;
ALTER TABLE alerts ADD CONSTRAINT alerts_kind_check CHECK (kind IN (
    'watchlist', 'clone_suspect', 'recording_changed', 'camera_offline', 'recording_stalled', 'hotlist',
    'camera_tampered'));

-- Derived, so no writer can get it wrong: the kinds an operator must see at once sound in the console.
ALTER TABLE alerts ADD COLUMN priority text GENERATED ALWAYS AS (
    CASE WHEN kind IN ('watchlist', 'hotlist', 'camera_tampered') THEN 'high' ELSE 'normal' END) STORED;

ALTER TABLE alerts
    ADD COLUMN acknowledged_by       uuid,
    ADD COLUMN acknowledged_by_name  text,
    ADD COLUMN acknowledged_at       timestamptz,
    ADD COLUMN closed_by             uuid,
    ADD COLUMN closed_by_name        text,
    ADD COLUMN closed_at             timestamptz,
    ADD COLUMN note                  text CHECK (length(note) <= 2000),
    ADD COLUMN updated_at            timestamptz NOT NULL DEFAULT now(),
    -- What an alert raised once per change is about (a recording's key): only a repeat of the latest change
    -- of the same subject is a duplicate, so A → B → A → B raises three alerts.
    ADD COLUMN subject               text;

-- The alarm panel: a city's alerts still to handle (neither resolved nor closed), newest first.
CREATE INDEX alerts_city_active_idx ON alerts (city_id, created_at DESC, id DESC)
    WHERE resolved_at IS NULL AND status <> 'closed';
CREATE INDEX alerts_subject_idx ON alerts (kind, subject, created_at DESC) WHERE subject IS NOT NULL;
