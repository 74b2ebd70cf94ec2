-- Inter-city grants for a case: the requesting city's operators see the holding city's reads of these plates
-- in [from_at, to_at) while the grant is approved and not expired (checked on every read: revocation and expiry
-- take effect at once).
CREATE TABLE grants (
    id                  uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    requesting_city_id  uuid NOT NULL REFERENCES cities (id) ON DELETE CASCADE,
    holding_city_id     uuid NOT NULL REFERENCES cities (id) ON DELETE CASCADE,
    -- A case of the requesting city (no foreign key: cases are another feature's and may be archived).
    case_id             uuid NOT NULL,
    plates              text[] NOT NULL CHECK (cardinality(plates) BETWEEN 1 AND 50),
    from_at             timestamptz NOT NULL,
    to_at               timestamptz NOT NULL,
    justification       text NOT NULL CHECK (length(justification) BETWEEN 1 AND 2000),
    status              text NOT NULL DEFAULT 'pending'
                            CHECK (status IN ('pending', 'approved', 'denied', 'revoked')),
    requested_by        uuid,
    answered_by         uuid,
    answered_at         timestamptz,
    -- Approved grants last at most 30 days from approval.
    expires_at          timestamptz,
    created_at          timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT grants_cities_ck CHECK (requesting_city_id <> holding_city_id),
    CONSTRAINT grants_window_ck CHECK (to_at > from_at AND to_at - from_at <= interval '30 days')
);
CREATE INDEX grants_requesting_idx ON grants (requesting_city_id, created_at);
CREATE INDEX grants_holding_idx ON grants (holding_city_id, created_at);
CREATE INDEX grants_in_force_idx ON grants (requesting_city_id, holding_city_id) WHERE status = 'approved';
