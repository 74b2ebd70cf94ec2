-- Fuzzy plate search, cheaper to keep up at ingest (docs/benchmarks.md, "LPR ingest"; ADR 0006, update).
--
-- The GIN index on the 7 wildcard keys of every read (plate_reads_keys_gin) put 7 entries per read into a 1.3 GB
-- index at 10 M reads, nearly every key unique: merging its pending list cost ~100 µs of CPU per read, more than
-- the insert itself. It is replaced by a GIN index on 3 "group" keys of the skeleton: the positions are cut into
-- three runs, and each key is the skeleton without one run. Two skeletons of equal length that differ in at most
-- one position differ inside one run only, so they share the key that leaves that run out: the candidates of a
-- query (reads sharing a group key) include every true match, and `plate_keys && keys` (the same wildcard test
-- as before) keeps exactly the reads that were found before. Group keys repeat across plates (tens of reads per
-- key at 10 M reads), so the index holds 3 entries per read in far fewer keys.
CREATE FUNCTION plate_fuzzy_groups(skeleton text) RETURNS text[]
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
AS $$
    SELECT ARRAY[
        length(skeleton) || 'a' || substr(skeleton, length(skeleton) / 3 + 1),
        length(skeleton) || 'b' || substr(skeleton, 1, length(skeleton) / 3)
            || substr(skeleton, 2 * (length(skeleton) / 3) + 1),
        length(skeleton) || 'c' || substr(skeleton, 1, 2 * (length(skeleton) / 3))]
$$;

CREATE INDEX plate_reads_fuzzy_groups_gin ON plate_reads USING gin (plate_fuzzy_groups(plate_skeleton));
DROP INDEX plate_reads_keys_gin;

DROP FUNCTION plate_fuzzy_candidates(text[], integer, uuid, uuid, timestamptz, timestamptz, text, text);
-- The same settings as before (migration 0016): the GIN bitmap scan, never a sequential scan. `p_cameras`: only
-- these cameras' reads (a user restricted to camera groups), NULL for every camera.
CREATE FUNCTION plate_fuzzy_candidates(
    p_skeleton text, p_keys text[], p_cap integer, p_city uuid, p_camera uuid,
    p_from timestamptz, p_to timestamptz, p_color text, p_type text, p_cameras uuid[]
) RETURNS SETOF text
LANGUAGE sql STABLE
SET enable_seqscan = off
SET max_parallel_workers_per_gather = 0
AS $$
    SELECT DISTINCT r.plate FROM plate_reads r
     WHERE plate_fuzzy_groups(r.plate_skeleton) && plate_fuzzy_groups(p_skeleton)
       AND r.plate_keys && p_keys
       AND r.anonymised_at IS NULL
       AND (p_city IS NULL OR r.city_id = p_city)
       AND (p_camera IS NULL OR r.camera_id = p_camera)
       AND (p_from IS NULL OR r.captured_at >= p_from)
       AND (p_to IS NULL OR r.captured_at < p_to)
       AND (p_color IS NULL OR r.vehicle_color = p_color)
       AND (p_type IS NULL OR r.vehicle_type = p_type)
       AND (p_cameras IS NULL OR r.camera_id = ANY (p_cameras))
     LIMIT p_cap
$$;
