-- Live events (issue 14): one row per open connection of the events WebSocket API. Written by
-- EventsSocketFunction on $connect (after the token is verified) and on subscribe; removed on
-- $disconnect, and by EventsNotifierFunction when PostToConnection answers Gone.
CREATE TABLE ws_connections (
    connection_id text PRIMARY KEY,
    user_id       text NOT NULL,                -- a users.id, or a Cognito sub (no row in users)
    username      text NOT NULL DEFAULT '',
    role          text NOT NULL CHECK (role IN ('admin', 'manager', 'viewer')),
    city_id       uuid REFERENCES cities (id) ON DELETE CASCADE,  -- NULL for admins: every city
    topics        text[] NOT NULL DEFAULT '{}', -- alerts | streams | clips; nothing until subscribed
    camera_ids    uuid[] NOT NULL DEFAULT '{}', -- empty: every camera the caller may see
    connected_at  timestamptz NOT NULL DEFAULT now(),
    CHECK (role = 'admin' OR city_id IS NOT NULL)
);
-- Fan-out looks up the event's city plus every admin.
CREATE INDEX ws_connections_city_idx ON ws_connections (city_id);
