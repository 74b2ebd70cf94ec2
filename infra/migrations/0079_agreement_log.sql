-- The record of what an agreement did (LGPD: who accessed what under which agreement): hotlist pushes with
-- their counts, API accesses, secret rotations, status changes. The monthly report counts from it and from
-- feed_deliveries.
CREATE TABLE agreement_log (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    agreement_id    uuid NOT NULL REFERENCES agreements (id) ON DELETE CASCADE,
    at              timestamptz NOT NULL DEFAULT now(),
    kind            text NOT NULL CHECK (kind IN ('hotlist_push', 'access', 'rotate', 'status', 'feed_stopped')),
    actor           text NOT NULL,
    entries         integer NOT NULL DEFAULT 0,
    detail          jsonb NOT NULL DEFAULT '{}'::jsonb
);
CREATE INDEX agreement_log_agreement_at_idx ON agreement_log (agreement_id, at);
