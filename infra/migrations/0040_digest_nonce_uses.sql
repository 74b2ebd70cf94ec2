-- Intelbras/Dahua Digest: each accepted (nonce, nc) pair, kept until its nonce expires (300 s after it was
-- issued). Nonces stay stateless (HMAC-signed, gtvision.lpr.digest); this table only stops a captured
-- Authorization header from being sent again with another body (qop=auth does not cover the body).
CREATE TABLE digest_nonce_uses (
    nonce       text NOT NULL,
    nc          text NOT NULL,
    expires_at  timestamptz NOT NULL,
    PRIMARY KEY (nonce, nc)
);
CREATE INDEX digest_nonce_uses_expires_idx ON digest_nonce_uses (expires_at);
