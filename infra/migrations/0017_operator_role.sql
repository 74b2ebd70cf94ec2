-- Four permission levels (contract v1.2, "Roles, camera groups, sessions, 2FA"): viewer < operator < manager < admin.
-- Existing users keep their role (viewers stay viewers).
ALTER TABLE users DROP CONSTRAINT users_role_check;
ALTER TABLE users ADD CONSTRAINT users_role_check CHECK (role IN ('admin', 'manager', 'operator', 'viewer'));
ALTER TABLE ws_connections DROP CONSTRAINT ws_connections_role_check;
ALTER TABLE ws_connections ADD CONSTRAINT ws_connections_role_check
    CHECK (role IN ('admin', 'manager', 'operator', 'viewer'));
