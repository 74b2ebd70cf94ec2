-- Audit trail hardening, the API's database role, and the record of retention runs.
--
-- The API connects as a LOGIN role that is a member of gtvision_api (see docs/adr/0007-retention.md):
--   CREATE ROLE gtvision_api_login LOGIN PASSWORD '...' IN ROLE gtvision_api;
-- The role may read and write the application's tables, but on audit_log only SELECT and INSERT:
-- the append-only trigger of 0001 stops every role, the missing grants stop the API even if a
-- trigger were ever dropped. Retention and migrations run as the owner of the tables.

DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'gtvision_api') THEN
        CREATE ROLE gtvision_api NOLOGIN;
    END IF;
END $$;

GRANT USAGE ON SCHEMA public TO gtvision_api;
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO gtvision_api;
GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO gtvision_api;
-- Tables created by later migrations (run by the same owner) get the same grants.
ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO gtvision_api;
ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT USAGE, SELECT ON SEQUENCES TO gtvision_api;

REVOKE ALL ON audit_log FROM gtvision_api;
GRANT SELECT, INSERT ON audit_log TO gtvision_api;
REVOKE ALL ON schema_migrations FROM gtvision_api;
GRANT SELECT ON schema_migrations TO gtvision_api;

-- The trail names people by pseudonym, never by login name: when an account is anonymised (LGPD
-- Art. 18) its entries stay meaningful and carry no personal data, without ever updating a row.
CREATE FUNCTION audit_log_pseudonymise() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.user_id IS NOT NULL THEN
        NEW.actor := COALESCE((SELECT pseudonym FROM users WHERE id = NEW.user_id), NEW.actor);
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER audit_log_pseudonymise BEFORE INSERT ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_pseudonymise();

CREATE INDEX audit_log_action_at_idx ON audit_log (action, at, id);

-- One row per run of the retention function: what it did, for the operators and the auditor.
CREATE TABLE retention_runs (
    id                  bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    started_at          timestamptz NOT NULL DEFAULT now(),
    finished_at         timestamptz,
    status              text NOT NULL DEFAULT 'running' CHECK (status IN ('running', 'ok', 'failed')),
    segments_deleted    bigint NOT NULL DEFAULT 0,
    objects_deleted     bigint NOT NULL DEFAULT 0,
    partitions_dropped  integer NOT NULL DEFAULT 0,
    reads_anonymised    bigint NOT NULL DEFAULT 0,
    cities_skipped      integer NOT NULL DEFAULT 0,
    detail              jsonb NOT NULL DEFAULT '{}'::jsonb
);
CREATE INDEX retention_runs_started_idx ON retention_runs (started_at DESC);
REVOKE INSERT, UPDATE, DELETE ON retention_runs FROM gtvision_api;
