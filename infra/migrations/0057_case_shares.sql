-- Share links of a case for external requesters (police, prosecutors, courts). The token is shown once and
-- stored only as its SHA-256; every view and download is a custody event and an audit entry.
CREATE TABLE case_shares (
    id               uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    case_id          uuid NOT NULL REFERENCES cases (id) ON DELETE CASCADE,
    token_sha256     text NOT NULL UNIQUE,
    recipient_name   text NOT NULL,
    organisation     text NOT NULL,
    legal_basis      text NOT NULL,
    expires_at       timestamptz NOT NULL,
    max_downloads    integer CHECK (max_downloads IS NULL OR max_downloads > 0),
    downloads        integer NOT NULL DEFAULT 0,
    views            integer NOT NULL DEFAULT 0,
    created_by       uuid,
    created_by_name  text,
    created_at       timestamptz NOT NULL DEFAULT now(),
    revoked_at       timestamptz,
    revoked_by       uuid
);
CREATE INDEX case_shares_case_idx ON case_shares (case_id, created_at DESC, id DESC);
