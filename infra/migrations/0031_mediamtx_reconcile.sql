-- A MediaMTX restart forgets the paths added through its API: the health poll re-adds the path of every
-- camera that should stream and is missing on its node, with backoff. Per camera: how many re-adds were
-- tried since its path was last seen, and when the next one may be tried.
ALTER TABLE camera_health ADD COLUMN path_readds integer NOT NULL DEFAULT 0;
ALTER TABLE camera_health ADD COLUMN path_readd_after timestamptz;
