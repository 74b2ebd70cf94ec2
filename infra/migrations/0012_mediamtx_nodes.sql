-- MediaMTX fleet (issue 12): the nodes live streams run on and which node each camera is placed on.
-- Placement is by free capacity (logic/placement.py); a node taken out of service (active = false) has its
-- cameras moved to the others. No node registered = the single MediaMTX of the settings (local, small cities).
CREATE TABLE mediamtx_nodes (
    id          text PRIMARY KEY CHECK (id ~ '^[a-z0-9][a-z0-9-]{0,62}$'),
    api_url     text NOT NULL,
    hls_url     text NOT NULL,
    webrtc_url  text NOT NULL,
    rtsp_url    text NOT NULL,
    capacity    integer NOT NULL DEFAULT 200 CHECK (capacity BETWEEN 1 AND 10000),
    active      boolean NOT NULL DEFAULT true,
    created_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE camera_nodes (
    camera_id   uuid PRIMARY KEY REFERENCES cameras (id) ON DELETE CASCADE,
    node_id     text NOT NULL REFERENCES mediamtx_nodes (id) ON DELETE RESTRICT,
    assigned_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX camera_nodes_node_idx ON camera_nodes (node_id);
