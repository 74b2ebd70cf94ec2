-- Foundation: cities (tenants), users and roles, cameras, and the append-only audit trail.
CREATE EXTENSION IF NOT EXISTS pg_trgm;

CREATE TABLE cities (
    id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    name            text NOT NULL CHECK (length(name) BETWEEN 1 AND 120),
    state           char(2) NOT NULL,
    retention_days  integer NOT NULL CHECK (retention_days IN (7, 15, 30)),
    lpr_retention_days integer NOT NULL DEFAULT 30 CHECK (lpr_retention_days BETWEEN 1 AND 3650),
    camera_limit    integer NOT NULL DEFAULT 1000 CHECK (camera_limit BETWEEN 1 AND 100000),
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX cities_name_state_uq ON cities (lower(name), state);

CREATE TABLE users (
    id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    username        text NOT NULL,
    password_hash   text NOT NULL,
    role            text NOT NULL CHECK (role IN ('admin', 'manager', 'viewer')),
    city_id         uuid REFERENCES cities (id) ON DELETE RESTRICT,
    pseudonym       text NOT NULL DEFAULT ('user-' || substr(md5(gen_random_uuid()::text), 1, 12)),
    created_at      timestamptz NOT NULL DEFAULT now(),
    anonymised_at   timestamptz,
    CHECK (role = 'admin' OR city_id IS NOT NULL)
);
CREATE UNIQUE INDEX users_username_uq ON users (lower(username)) WHERE anonymised_at IS NULL;
CREATE INDEX users_city_idx ON users (city_id, created_at, id);

CREATE TABLE cameras (
    id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    city_id         uuid NOT NULL REFERENCES cities (id) ON DELETE RESTRICT,
    name            text NOT NULL CHECK (length(name) BETWEEN 1 AND 120),
    source_url      text NOT NULL,
    username        text,
    password_enc    bytea,
    lat             double precision CHECK (lat BETWEEN -90 AND 90),
    lon             double precision CHECK (lon BETWEEN -180 AND 180),
    address         text,
    lpr_enabled     boolean NOT NULL DEFAULT false,
    webhook_secret_enc      bytea,
    webhook_secret_prev_enc bytea,
    webhook_secret_prev_until timestamptz,
    status          text NOT NULL DEFAULT 'registered' CHECK (status IN ('registered', 'streaming', 'stopped')),
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX cameras_city_idx ON cameras (city_id, created_at, id);

-- Append-only: who did what, when, from where. No UPDATE or DELETE, for any role (trigger), and the
-- API's database role is granted INSERT/SELECT only (see 0005).
CREATE TABLE audit_log (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at          timestamptz NOT NULL DEFAULT now(),
    user_id     uuid,
    actor       text NOT NULL,
    role        text,
    city_id     uuid,
    action      text NOT NULL,
    resource    text,
    status      integer,
    source_ip   inet,
    request_id  text,
    detail      jsonb NOT NULL DEFAULT '{}'::jsonb
);
CREATE INDEX audit_log_at_idx ON audit_log (at, id);
CREATE INDEX audit_log_city_at_idx ON audit_log (city_id, at, id);
CREATE INDEX audit_log_user_at_idx ON audit_log (user_id, at, id);

CREATE FUNCTION audit_log_is_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_log is append-only' USING ERRCODE = 'insufficient_privilege';
END $$;
CREATE TRIGGER audit_log_no_update BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_is_append_only();
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION audit_log_is_append_only();
