-- Stream and recording health (docs/adr/0016-stream-health.md): the state of every started camera as
-- StreamHealthFunction and MediaMTX's hooks see it, the moments it changed, and one-minute samples.

-- fps of a camera = frames / duration of its last segment: the frame count is read at registration.
ALTER TABLE segments ADD COLUMN frame_count integer;

-- One row per camera that was ever started: the latest state and the counters the next poll needs to
-- turn MediaMTX's cumulative counters into rates. `status` is what the API shows; `since` is when it
-- took that value. `online_time` is MediaMTX's onlineTime: when it changes the counters restarted.
CREATE TABLE camera_health (
    camera_id         uuid PRIMARY KEY REFERENCES cameras (id) ON DELETE CASCADE,
    city_id           uuid NOT NULL,
    status            text NOT NULL DEFAULT 'unknown' CHECK (status IN ('online', 'offline', 'unknown')),
    since             timestamptz NOT NULL DEFAULT now(),
    started_at        timestamptz,          -- when a manager last started the stream (stall reference)
    sampled_at        timestamptz,          -- last poll sample (the counters below are as of then)
    online_time       text,
    inbound_bytes     bigint,
    frames_in_error_total bigint,
    inbound_kbps      double precision,
    frames_in_error   bigint,
    readers           integer,
    readers_by_type   jsonb NOT NULL DEFAULT '{}'::jsonb,
    codec             text,
    width             integer,
    height            integer,
    fps               double precision,
    last_segment_end  timestamptz,
    recording_lag_s   double precision
);
CREATE INDEX camera_health_city_idx ON camera_health (city_id, status);

-- Every status change, written once with the time it happened (poll or hook).
CREATE TABLE camera_status_changes (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    camera_id  uuid NOT NULL REFERENCES cameras (id) ON DELETE CASCADE,
    city_id    uuid NOT NULL,
    status     text NOT NULL CHECK (status IN ('online', 'offline', 'unknown')),
    previous   text,
    at         timestamptz NOT NULL,
    source     text NOT NULL CHECK (source IN ('poll', 'hook', 'manager'))
);
CREATE INDEX camera_status_changes_camera_idx ON camera_status_changes (camera_id, at DESC);

-- One sample per started camera per poll (1,000 cameras = 1.44 M rows a day). Daily partitions created
-- by the poller (gtvision.dal.stream_health.ensure_sample_partitions) and dropped whole after
-- GTV_STREAM_SAMPLE_RETENTION_DAYS: no DELETE, no bloat. No DEFAULT partition: the poller creates today's
-- and tomorrow's before it writes.
CREATE TABLE stream_samples (
    camera_id        uuid NOT NULL,
    city_id          uuid NOT NULL,
    at               timestamptz NOT NULL,
    online           boolean NOT NULL,
    inbound_kbps     double precision,
    frames_in_error  bigint,
    readers          integer,
    fps              double precision,
    recording_lag_s  double precision,
    PRIMARY KEY (camera_id, at)
) PARTITION BY RANGE (at);

-- A health incident is open at most once per camera and kind: concurrent polls and hooks cannot open two.
CREATE UNIQUE INDEX alerts_health_open_uq ON alerts (kind, camera_id)
    WHERE resolved_at IS NULL AND kind IN ('camera_offline', 'recording_stalled');
