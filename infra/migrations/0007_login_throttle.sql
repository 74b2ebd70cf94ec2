-- Failed logins are counted per (hashed) username over the last minutes: keep that lookup an index scan.
CREATE INDEX audit_log_login_failed_idx ON audit_log ((detail->>'username_sha256'), at)
    WHERE action = 'auth.login_failed';
