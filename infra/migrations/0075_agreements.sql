-- Sharing with public-security programs: agreements (convênios) of a city with a partner (police, a state
-- program, a neighbouring city). Design notes: docs/adr/0023-sharing-feed-delivery.md.
CREATE TABLE agreements (
    id                  uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    city_id             uuid NOT NULL REFERENCES cities (id) ON DELETE CASCADE,
    partner_name        text NOT NULL CHECK (length(partner_name) BETWEEN 1 AND 200),
    partner_kind        text NOT NULL CHECK (partner_kind IN
                            ('policia_militar', 'policia_civil', 'prf', 'programa_estadual', 'municipio', 'outro')),
    purpose             text NOT NULL CHECK (length(purpose) BETWEEN 1 AND 2000),
    legal_basis         text NOT NULL CHECK (length(legal_basis) BETWEEN 1 AND 2000),
    valid_from          timestamptz NOT NULL,
    valid_until         timestamptz NOT NULL,
    share_reads         boolean NOT NULL,
    share_alerts        boolean NOT NULL,
    -- NULL: every camera of the city.
    camera_ids          uuid[],
    feed_url            text,
    -- AES-GCM under the data key, bound to the agreement id (the feed is signed with it, so it is kept).
    feed_secret_enc     bytea NOT NULL,
    -- SHA-256 of the partner's hotlist key (only ever compared).
    hotlist_key_hash    text NOT NULL,
    status              text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'suspended')),
    -- Set when the receiver refused a delivery (4xx other than 408/429): the feed waits for a resume.
    feed_stopped_at     timestamptz,
    feed_stopped_reason text,
    last_delivered_at   timestamptz,
    created_by          uuid,
    created_at          timestamptz NOT NULL DEFAULT now(),
    updated_at          timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT agreements_validity_ck CHECK (valid_until > valid_from)
);
CREATE INDEX agreements_city_created_idx ON agreements (city_id, created_at, id);
-- The ingest hook's lookup: the city's agreements that share reads or alerts.
CREATE INDEX agreements_city_flowing_idx ON agreements (city_id) WHERE status = 'active';
