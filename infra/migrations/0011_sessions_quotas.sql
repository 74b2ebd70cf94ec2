-- Issue 11: server-side logout, refresh tokens and quotas on expensive work.

-- One row per login. Access tokens carry the session id (`sid`); logging out revokes the session, so every
-- token of it stops working at once. The refresh token is stored only as a SHA-256; rotating it keeps the
-- previous hash so a replayed (stolen) old refresh token revokes the whole session.
CREATE TABLE auth_sessions (
    id              uuid PRIMARY KEY,
    user_id         uuid NOT NULL REFERENCES users (id),
    refresh_sha256  text NOT NULL UNIQUE,
    previous_sha256 text,
    created_at      timestamptz NOT NULL DEFAULT now(),
    refreshed_at    timestamptz,
    expires_at      timestamptz NOT NULL,
    revoked_at      timestamptz
);
CREATE INDEX auth_sessions_user_idx ON auth_sessions (user_id);
CREATE INDEX auth_sessions_previous_idx ON auth_sessions (previous_sha256) WHERE previous_sha256 IS NOT NULL;
CREATE INDEX auth_sessions_expires_idx ON auth_sessions (expires_at);

-- Access-token ids revoked before their expiry (kept until then, then purged).
CREATE TABLE revoked_tokens (
    jti        text PRIMARY KEY,
    expires_at timestamptz NOT NULL
);
CREATE INDEX revoked_tokens_expires_idx ON revoked_tokens (expires_at);

-- Fixed-window counters of expensive work per user, city or source address (`bucket` names which).
CREATE TABLE rate_counters (
    bucket       text NOT NULL,
    window_start timestamptz NOT NULL,
    hits         integer NOT NULL,
    PRIMARY KEY (bucket, window_start)
);
CREATE INDEX rate_counters_window_idx ON rate_counters (window_start);
