-- Live-event sockets belong to the login session that opened them (contract v1.2, "Roles, camera groups,
-- sessions, 2FA"): logout, refresh-token reuse, deletion or a change of the user's rights close them, found
-- by session or user. `allowed_camera_ids`: the cameras a restricted user may see (NULL: the whole city),
-- read once at $connect; a change of the user's groups closes the socket, so it is never stale.
ALTER TABLE ws_connections ADD COLUMN session_id text;
ALTER TABLE ws_connections ADD COLUMN allowed_camera_ids uuid[];
CREATE INDEX ws_connections_user_idx ON ws_connections (user_id);
CREATE INDEX ws_connections_session_idx ON ws_connections (session_id) WHERE session_id IS NOT NULL;
