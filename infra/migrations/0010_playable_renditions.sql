-- Issue 11: playable renditions of progressive MP4 segments.
--
-- A progressive MP4 can't be an HLS segment. At registration it is remuxed (stream copy) to MPEG-TS stored
-- at `play_key`; the original `s3_key` stays the evidence (its sha256/size_bytes are the upload's).
-- Retention and legal holds treat both objects as one (docs/adr/0011-playable-renditions.md).
ALTER TABLE segments
    ADD COLUMN play_key         text,     -- NULL: the original itself is playable (TS, fMP4)
    ADD COLUMN play_size_bytes  bigint;
