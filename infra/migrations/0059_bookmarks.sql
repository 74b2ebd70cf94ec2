-- Bookmarks: an instant (or a span) of a camera's recordings with a label, optionally in a case.
CREATE TABLE bookmarks (
    id               uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    camera_id        uuid NOT NULL REFERENCES cameras (id) ON DELETE CASCADE,
    city_id          uuid NOT NULL REFERENCES cities (id) ON DELETE CASCADE,
    at               timestamptz NOT NULL,
    end_at           timestamptz,
    label            text NOT NULL CHECK (length(label) BETWEEN 1 AND 200),
    case_id          uuid REFERENCES cases (id) ON DELETE SET NULL,
    created_by       uuid,
    created_by_name  text,
    created_at       timestamptz NOT NULL DEFAULT now(),
    CHECK (end_at IS NULL OR end_at > at)
);
CREATE INDEX bookmarks_camera_idx ON bookmarks (camera_id, at, id);
