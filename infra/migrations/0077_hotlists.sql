-- Inbound hotlists: a partner's entries are watchlist entries with their agreement as source, a reference
-- and an expiry. A city's own entries keep one per plate; each agreement keeps one per plate of its own.
ALTER TABLE watchlist ADD COLUMN agreement_id uuid REFERENCES agreements (id) ON DELETE CASCADE;
ALTER TABLE watchlist ADD COLUMN source_ref text CHECK (length(source_ref) <= 200);
ALTER TABLE watchlist ADD COLUMN expires_at timestamptz;
ALTER TABLE watchlist DROP CONSTRAINT watchlist_city_plate_uq;
-- The same constraint name, now only over the city's own entries (ON CONFLICT (city_id, plate) infers it
-- with the predicate; see gtvision.alerts.store.insert_watch).
CREATE UNIQUE INDEX watchlist_city_plate_uq ON watchlist (city_id, plate) WHERE agreement_id IS NULL;
CREATE UNIQUE INDEX watchlist_agreement_plate_uq ON watchlist (agreement_id, plate) WHERE agreement_id IS NOT NULL;
-- Matching reads is by (city_id, plate): the city's entries and every agreement's.
CREATE INDEX watchlist_city_plate_idx ON watchlist (city_id, plate);
CREATE INDEX watchlist_expires_idx ON watchlist (expires_at) WHERE expires_at IS NOT NULL;

-- A read matching an agreement's entry raises a `hotlist` alert. The kinds other migrations allow are kept:
-- 'hotlist' is added to whatever the constraint accepts now.
DO $$
DECLARE
    def text;
BEGIN
    SELECT pg_get_constraintdef(oid) INTO def FROM pg_constraint
     WHERE conrelid = 'alerts'::regclass AND conname = 'alerts_kind_check';
    IF def IS NOT NULL AND position('''hotlist''' IN def) = 0 THEN
        EXECUTE 'ALTER TABLE alerts DROP CONSTRAINT alerts_kind_check';
        EXECUTE 'ALTER TABLE alerts ADD CONSTRAINT alerts_kind_check '
             || regexp_replace(def, 'ARRAY\[', 'ARRAY[''hotlist''::text, ');
    END IF;
END $$;
