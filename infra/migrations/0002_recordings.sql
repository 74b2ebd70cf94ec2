-- Recordings: the segment index (one row per uploaded segment) and the uploads that were refused.
--
-- Sized for 1,000 cameras x 60 s segments = 1.44 M rows a day, 43 M in 30 days (docs/adr/0005-segment-index.md):
--   * PARTITION BY RANGE (start_at), one partition per UTC day, created on demand by
--     gtvision.dal.segments.ensure_partition; retention drops whole expired days (no 1.44 M-row DELETE,
--     no bloat, no vacuum debt).
--   * PRIMARY KEY (camera_id, start_at) in every partition: "camera X between t1 and t2" is one B-tree
--     range scan in the one or two partitions the range touches (pruned on start_at), and the same key
--     makes duplicate S3 events register once (INSERT ... ON CONFLICT DO NOTHING).
--   * A DEFAULT partition catches rows whose day has no partition yet (a clock far off, a late backfill);
--     ensure_partition moves them out when it creates that day.
CREATE TABLE segments (
    camera_id    uuid NOT NULL,
    city_id      uuid NOT NULL,
    start_at     timestamptz NOT NULL,
    end_at       timestamptz NOT NULL,
    duration_s   double precision,
    s3_key       text NOT NULL,
    thumb_key    text,
    size_bytes   bigint,
    sha256       text,
    video_codec  text,
    width        integer,
    height       integer,
    container    text,           -- 'fmp4' (MediaMTX, the recorder), 'mp4' (progressive) or 'ts'
    init_bytes   integer,        -- fmp4: bytes of ftyp+moov before the first moof (HLS EXT-X-MAP byte range)
    pts_start    double precision, -- first presentation timestamp (s): tells continuous timestamps from resets
    created_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (camera_id, start_at),
    -- Range scans look back this far for segments that began before `from` (MediaMTX's longest default
    -- segment is 1 h, cut at the next keyframe); longer uploads are refused before the insert.
    CONSTRAINT segments_duration_ck CHECK (end_at > start_at AND end_at - start_at <= interval '2 hours')
) PARTITION BY RANGE (start_at);

-- Retention walks one city's old rows; per-partition, so it is dropped with its day.
CREATE INDEX segments_city_start_idx ON segments (city_id, start_at);

CREATE TABLE segments_default PARTITION OF segments DEFAULT;

-- Uploads that could not be registered: the object stays in the bucket, this row says why.
-- One row per (key, reason): a duplicated S3 event bumps `attempts` instead of adding noise.
CREATE TABLE rejected_uploads (
    id        bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    s3_key    text NOT NULL,
    reason    text NOT NULL,
    detail    jsonb NOT NULL DEFAULT '{}'::jsonb,
    at        timestamptz NOT NULL DEFAULT now(),
    attempts  integer NOT NULL DEFAULT 1,
    UNIQUE (s3_key, reason)
);
CREATE INDEX rejected_uploads_at_idx ON rejected_uploads (at);
