-- Access control for a public body (contract v1.2, "Roles, camera groups, sessions, 2FA").

-- Inactive accounts: "unused" is measured from the last login, or from a manager's reactivation.
ALTER TABLE users ADD COLUMN last_login_at timestamptz;
ALTER TABLE users ADD COLUMN reactivated_at timestamptz;
-- A manager switched the account off (PATCH /v1/users/{id} {"active": false}).
ALTER TABLE users ADD COLUMN deactivated_at timestamptz;
-- Existing accounts: their last login on record in the audit trail (none: their creation counts).
UPDATE users u SET last_login_at = (
    SELECT max(a.at) FROM audit_log a WHERE a.user_id = u.id AND a.action = 'auth.login'
);

-- Per-user camera restriction: false = every camera of the city; true = only the cameras of the user's
-- groups (none left: no camera at all — a restriction never widens by accident).
ALTER TABLE users ADD COLUMN camera_restricted boolean NOT NULL DEFAULT false;

CREATE TABLE camera_groups (
    id         uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    city_id    uuid NOT NULL REFERENCES cities (id) ON DELETE CASCADE,
    name       text NOT NULL CHECK (length(name) BETWEEN 1 AND 120),
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX camera_groups_name_uq ON camera_groups (city_id, lower(name));
CREATE INDEX camera_groups_city_idx ON camera_groups (city_id, created_at, id);

CREATE TABLE camera_group_members (
    group_id  uuid NOT NULL REFERENCES camera_groups (id) ON DELETE CASCADE,
    camera_id uuid NOT NULL REFERENCES cameras (id) ON DELETE CASCADE,
    PRIMARY KEY (group_id, camera_id)
);
CREATE INDEX camera_group_members_camera_idx ON camera_group_members (camera_id);

CREATE TABLE user_camera_groups (
    user_id  uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    group_id uuid NOT NULL REFERENCES camera_groups (id) ON DELETE CASCADE,
    PRIMARY KEY (user_id, group_id)
);
CREATE INDEX user_camera_groups_group_idx ON user_camera_groups (group_id);

-- TOTP (RFC 6238). The secret is AES-GCM with the data key (context "totp:{user_id}"); recovery codes are
-- kept as SHA-256 (each is 50 random bits, used once). An enrolment waits in pending_* until confirmed.
-- last_step: the time step of the last accepted code, so a code is accepted once.
CREATE TABLE user_totp (
    user_id                 uuid PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    secret_enc              bytea,
    recovery_sha256         text[] NOT NULL DEFAULT '{}',
    enabled_at              timestamptz,
    pending_secret_enc      bytea,
    pending_recovery_sha256 text[] NOT NULL DEFAULT '{}',
    pending_at              timestamptz,
    last_step               bigint
);

-- Which roles of the city must use 2FA (admins: when any city names "admin").
ALTER TABLE cities ADD COLUMN require_2fa_roles text[] NOT NULL DEFAULT '{}'
    CHECK (require_2fa_roles <@ ARRAY['admin', 'manager', 'operator', 'viewer']::text[]);

-- Failed logins, per (hashed username, source address) and per address: the throttle reads these
-- (never per username alone, so nobody can lock someone else out from elsewhere). Kept a day.
CREATE TABLE login_failures (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    username_sha256 text NOT NULL,
    source          text NOT NULL,
    at              timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX login_failures_pair_idx ON login_failures (username_sha256, source, at);
CREATE INDEX login_failures_source_idx ON login_failures (source, at);
CREATE INDEX login_failures_at_idx ON login_failures (at);
