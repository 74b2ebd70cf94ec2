-- Fuzzy plate search: the candidate plates sharing a skeleton key with the query (ADR 0006, issue 11).
--
-- The planner cannot estimate `plate_keys && keys`: nearly every key is unique, so ANALYZE keeps no
-- most-common-element statistics and PostgreSQL falls back to 0.5 % of the rows per key (3.4 % for the 7
-- keys of a plate). At 10 M reads that estimate (345 k rows) made it choose a parallel sequential scan:
-- 4–5 s for a query that finds 1–3 plates. This function runs the same query with the sequential scan and
-- parallel workers priced out, so the GIN bitmap scan is always used (0.3 ms at 10 M reads,
-- docs/benchmarks.md). The settings apply inside the function only: no session state, so a pooler such as
-- RDS Proxy does not pin the connection.
CREATE FUNCTION plate_fuzzy_candidates(
    p_keys text[], p_cap integer, p_city uuid, p_camera uuid,
    p_from timestamptz, p_to timestamptz, p_color text, p_type text
) RETURNS SETOF text
LANGUAGE sql STABLE
SET enable_seqscan = off
SET max_parallel_workers_per_gather = 0
AS $$
    SELECT DISTINCT r.plate FROM plate_reads r
     WHERE r.plate_keys && p_keys
       AND r.anonymised_at IS NULL
       AND (p_city IS NULL OR r.city_id = p_city)
       AND (p_camera IS NULL OR r.camera_id = p_camera)
       AND (p_from IS NULL OR r.captured_at >= p_from)
       AND (p_to IS NULL OR r.captured_at < p_to)
       AND (p_color IS NULL OR r.vehicle_color = p_color)
       AND (p_type IS NULL OR r.vehicle_type = p_type)
     LIMIT p_cap
$$;
