-- Privacy masks: polygons per camera in 0-1 frame coordinates, burned into clips, exports and thumbnails.
CREATE TABLE privacy_masks (
    camera_id        uuid PRIMARY KEY REFERENCES cameras (id) ON DELETE CASCADE,
    masks            jsonb NOT NULL DEFAULT '[]',
    updated_by       uuid,
    updated_by_name  text,
    updated_at       timestamptz NOT NULL DEFAULT now()
);
