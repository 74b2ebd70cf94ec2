-- Outbound feed: one row per (agreement, ingest batch) or per hotlist hit, written in the ingest transaction
-- (an outbox), then announced on the FeedDeliveryQueue. The row is the truth; the message only says "try".
CREATE TABLE feed_deliveries (
    id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    agreement_id    uuid NOT NULL REFERENCES agreements (id) ON DELETE CASCADE,
    kind            text NOT NULL CHECK (kind IN ('reads', 'hotlist_hit')),
    read_ids        uuid[] NOT NULL,
    -- hotlist_hit: the entry as it was when the read matched (the list may be replaced before delivery).
    entry           jsonb,
    status          text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'delivered', 'dead')),
    attempts        integer NOT NULL DEFAULT 0,
    last_error      text,
    created_at      timestamptz NOT NULL DEFAULT now(),
    attempted_at    timestamptz,
    -- While a worker is posting it (a duplicate message meanwhile waits).
    lease_until     timestamptz,
    delivered_at    timestamptz
);
CREATE INDEX feed_deliveries_pending_idx ON feed_deliveries (agreement_id, created_at) WHERE status = 'pending';
CREATE INDEX feed_deliveries_agreement_created_idx ON feed_deliveries (agreement_id, created_at);
