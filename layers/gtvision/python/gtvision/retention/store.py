"""SQL and storage calls of the retention function (segments, their partitions, plate reads, run records)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import datetime
from typing import Any

import psycopg
from psycopg import sql
from psycopg.rows import dict_row
from psycopg.types.json import Jsonb

from gtvision.core import aws
from gtvision.core.db import Conn
from gtvision.core.settings import get_settings
from gtvision.core.sql import fetch_all
from gtvision.retention.schemas import (
    CityPlan,
    ExpiredClip,
    ExpiredRead,
    ExpiredRejection,
    ExpiredSegment,
    Partition,
)

#: S3 DeleteObjects accepts at most 1,000 keys a call.
DELETE_BATCH = 1000
#: Concurrent DeleteObjects calls: S3 scales per prefix, the run is bound by round trips.
DELETE_WORKERS = 4

# A segment is held when a held clip was cut from it or a case holds it (open, or closed and within its keep
# period: segment_holds.until); the same predicate everywhere.
_HELD = (
    "(EXISTS (SELECT 1 FROM clip_segments cs JOIN clips cl ON cl.id = cs.clip_id"
    " WHERE cl.held AND cs.camera_id = s.camera_id AND cs.segment_start = s.start_at"
    " AND cs.segment_quality = s.quality)"
    " OR EXISTS (SELECT 1 FROM segment_holds h WHERE h.camera_id = s.camera_id AND h.segment_start = s.start_at"
    " AND (h.until IS NULL OR h.until > now())))"
)
# Two-tier recording: main segments expire at the main cutoff (`full_quality_days`), sub-stream ones at the
# sub cutoff (`retention_days`), which is never later.
_EXPIRED = "s.start_at < %(main)s AND (s.quality = 'main' OR s.start_at < %(sub)s)"
_NOT_HELD = f"NOT {_HELD}"


# ---------------------------------------------------------------- session, locks and cities


@contextmanager
def session() -> Iterator[Conn]:
    """A dedicated connection for one run: its advisory locks die with it, whatever happens to the process."""
    url = get_settings().database_url
    if not url:
        raise RuntimeError("DATABASE_URL is not set")
    with psycopg.connect(url, row_factory=dict_row, autocommit=False) as conn:
        # A run killed mid-batch must not keep its row locks: the server ends the idle transaction.
        conn.execute("SET idle_in_transaction_session_timeout = '5min'")
        conn.commit()
        yield conn


def db_clock(conn: Conn) -> datetime:
    """The database's wall clock (one clock for every retention decision)."""
    row = conn.execute("SELECT clock_timestamp() AS t").fetchone()
    assert row is not None
    moment: datetime = row["t"]
    return moment


def try_lock(conn: Conn, name: str) -> bool:
    """A session advisory lock on `name` (released by `unlock` or when the connection ends)."""
    row = conn.execute("SELECT pg_try_advisory_lock(hashtextextended(%s, 0)) AS ok", (name,)).fetchone()
    return bool(row and row["ok"])


def unlock(conn: Conn, name: str) -> None:
    """Release the advisory lock taken by `try_lock`."""
    conn.execute("SELECT pg_advisory_unlock(hashtextextended(%s, 0))", (name,))


def cities(conn: Conn) -> list[CityPlan]:
    """Every city with its retention plans (read fresh each run: a lowered plan applies at once)."""
    return fetch_all(
        conn,
        CityPlan,
        "SELECT id, retention_days, lpr_retention_days,"
        " least(coalesce(full_quality_days, retention_days), retention_days) AS full_quality_days"
        " FROM cities ORDER BY id",
    )


def table_exists(conn: Conn, name: str) -> bool:
    """Whether the table (e.g. a segments partition) exists."""
    row = conn.execute("SELECT to_regclass(%s) IS NOT NULL AS e", (name,)).fetchone()
    return bool(row and row["e"])


# ---------------------------------------------------------------- storage


def existing_keys(keys: list[str], bucket: str) -> set[str]:
    """Which of `keys` are objects now. Keys are listed by the common prefix of each folder's keys from just
    before the first of them (one LIST per ~1,000 keys, not a HEAD per key), stopping past the last one."""
    s3 = aws.client("s3")
    folders: dict[str, list[str]] = {}
    for key in keys:
        folders.setdefault(key.rpartition("/")[0], []).append(key)
    found: set[str] = set()
    for group in folders.values():
        group.sort()
        wanted = set(group)
        args: dict[str, Any] = {"Bucket": bucket, "Prefix": os.path.commonprefix(group), "StartAfter": group[0][:-1]}
        while True:
            page = s3.list_objects_v2(**args)
            listed = [str(o["Key"]) for o in page.get("Contents", [])]
            found.update(k for k in listed if k in wanted)
            if not page.get("IsTruncated") or not listed or listed[-1] >= group[-1]:
                break
            args["ContinuationToken"] = page["NextContinuationToken"]
    return found


def delete_objects(keys: list[str], bucket: str) -> int:
    """Delete `keys` with batched DeleteObjects; returns how many existed (and were deleted).

    A key already gone is not deleted again — in the versioned bucket that would only add a delete marker —
    and is not counted: re-runs are fine, and the run reports what it really removed.
    """
    keys = sorted(existing_keys(sorted(set(k for k in keys if k)), bucket))
    if not keys:
        return 0
    s3 = aws.client("s3")
    chunks = [keys[i : i + DELETE_BATCH] for i in range(0, len(keys), DELETE_BATCH)]

    def one(chunk: list[str]) -> int:
        out = s3.delete_objects(Bucket=bucket, Delete={"Objects": [{"Key": k} for k in chunk], "Quiet": True})
        errors = [e for e in out.get("Errors", []) if e.get("Code") != "NoSuchKey"]
        if errors:
            # The rows stay, so the next run retries these keys; never drop a row whose object may remain.
            raise RuntimeError(f"DeleteObjects failed for {len(errors)} keys, first: {errors[0]}")
        return len(chunk)

    if len(chunks) == 1:
        return one(chunks[0])
    with ThreadPoolExecutor(max_workers=min(DELETE_WORKERS, len(chunks))) as pool:
        return sum(pool.map(one, chunks))


# ---------------------------------------------------------------- segments, row by row


def claim_expired_segments(
    conn: Conn, city_id: str, main_cutoff: datetime, sub_cutoff: datetime, limit: int
) -> list[ExpiredSegment]:
    """Lock up to `limit` expired, unheld segments of a city; rows another run holds are skipped."""
    return fetch_all(
        conn,
        ExpiredSegment,
        "SELECT s.camera_id, s.start_at, s.quality, s.s3_key, s.thumb_key, s.play_key FROM segments s"
        f" WHERE s.city_id = %(city)s AND {_EXPIRED} AND {_NOT_HELD}"
        " ORDER BY s.start_at LIMIT %(n)s FOR UPDATE OF s SKIP LOCKED",
        {"city": city_id, "main": main_cutoff, "sub": sub_cutoff, "n": limit},
    )


def delete_segments(conn: Conn, city_id: str, main_cutoff: datetime, rows: list[ExpiredSegment]) -> int:
    """Delete the given segment rows (the city and the main cutoff bound the scan to old partitions)."""
    if not rows:
        return 0
    return conn.execute(
        "DELETE FROM segments s USING unnest(%s::uuid[], %s::timestamptz[], %s::text[]) AS d(camera_id, start_at, q)"
        " WHERE s.city_id = %s AND s.start_at < %s AND s.camera_id = d.camera_id AND s.start_at = d.start_at"
        " AND s.quality = d.q",
        ([r.camera_id for r in rows], [r.start_at for r in rows], [r.quality for r in rows], city_id, main_cutoff),
    ).rowcount


def count_held_expired(conn: Conn, city_id: str, main_cutoff: datetime, sub_cutoff: datetime) -> int:
    """Expired segments kept because a held clip was cut from them or a case holds them (reported, never deleted)."""
    row = conn.execute(
        f"SELECT count(*) AS n FROM segments s WHERE s.city_id = %(city)s AND {_EXPIRED} AND {_HELD}",
        {"city": city_id, "main": main_cutoff, "sub": sub_cutoff},
    ).fetchone()
    return int(row["n"]) if row else 0


# ---------------------------------------------------------------- segments, whole partitions


def expired_partition_candidates(conn: Conn, before: datetime) -> list[Partition]:
    """Daily partitions of `segments` that end at or before `before` (the DEFAULT partition never)."""
    return fetch_all(
        conn,
        Partition,
        "SELECT name, lo, hi FROM ("
        "  SELECT c.relname AS name, b[1]::timestamptz AS lo, b[2]::timestamptz AS hi"
        "  FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid"
        "  CROSS JOIN LATERAL regexp_match(pg_get_expr(c.relpartbound, c.oid),"
        "       'FROM \\(''([^'']+)''\\) TO \\(''([^'']+)''\\)') AS b"
        "  WHERE i.inhparent = 'segments'::regclass) p"
        " WHERE hi <= %s ORDER BY lo",
        (before,),
    )


def partition_fully_expired(conn: Conn, part: Partition, now: datetime) -> bool:
    """True when every row of the partition is past its own city's retention and none is held."""
    row = conn.execute(
        sql.SQL(
            "SELECT NOT EXISTS (SELECT 1 FROM {t} s LEFT JOIN cities c ON c.id = s.city_id"
            "   WHERE c.id IS NULL OR s.start_at >= %(now)s - make_interval(days => CASE WHEN s.quality = 'main'"
            "     THEN least(coalesce(c.full_quality_days, c.retention_days), c.retention_days)"
            "     ELSE c.retention_days END))"
            " AND NOT EXISTS (SELECT 1 FROM clip_segments cs JOIN clips cl ON cl.id = cs.clip_id"
            "   WHERE cl.held AND cs.segment_start >= %(lo)s AND cs.segment_start < %(hi)s)"
            " AND NOT EXISTS (SELECT 1 FROM segment_holds h WHERE (h.until IS NULL OR h.until > now())"
            "   AND h.segment_start >= %(lo)s AND h.segment_start < %(hi)s) AS ok"
        ).format(t=sql.Identifier(part.name)),
        {"now": now, "lo": part.lo, "hi": part.hi},
    ).fetchone()
    return bool(row and row["ok"])


def partition_keys(conn: Conn, name: str, batch: int) -> Iterator[tuple[list[str], int]]:
    """(object keys, row count) of a partition, a batch at a time, in primary-key order."""
    after: tuple[Any, Any] | None = None
    while True:
        where = sql.SQL("WHERE (camera_id, start_at) > (%s, %s)") if after else sql.SQL("")
        rows = conn.execute(
            sql.SQL(
                "SELECT camera_id, start_at, s3_key, thumb_key, play_key FROM {t} {w}"
                " ORDER BY camera_id, start_at LIMIT %s"
            ).format(t=sql.Identifier(name), w=where),
            (*(after or ()), batch),
        ).fetchall()
        if not rows:
            return
        after = (rows[-1]["camera_id"], rows[-1]["start_at"])
        yield [k for r in rows for k in (r["s3_key"], r["thumb_key"], r["play_key"]) if k], len(rows)


def partition_stats(conn: Conn, name: str) -> tuple[dict[str, int], datetime | None]:
    """Rows per city in a partition and when the newest row was registered."""
    rows = conn.execute(
        sql.SQL("SELECT city_id, count(*) AS n, max(created_at) AS newest FROM {t} GROUP BY city_id").format(
            t=sql.Identifier(name)
        )
    ).fetchall()
    return {str(r["city_id"]): int(r["n"]) for r in rows}, max((r["newest"] for r in rows), default=None)


def lock_partition(conn: Conn, name: str, timeout_ms: int) -> bool:
    """Take the partition exclusively, giving up after `timeout_ms` (readers are never blocked for long)."""
    conn.execute(sql.SQL("SET LOCAL lock_timeout = {}").format(sql.Literal(f"{int(timeout_ms)}ms")))
    try:
        with conn.transaction():
            conn.execute(sql.SQL("LOCK TABLE {t} IN ACCESS EXCLUSIVE MODE").format(t=sql.Identifier(name)))
        return True
    except psycopg.errors.LockNotAvailable:
        return False


def drop_partition(conn: Conn, name: str) -> bool:
    """Drop a partition; False when the parent's lock isn't free within the transaction's lock_timeout
    (dropping needs `segments` exclusively for a moment; queued readers must not wait long behind it)."""
    try:
        with conn.transaction():
            conn.execute(sql.SQL("DROP TABLE {t}").format(t=sql.Identifier(name)))
        return True
    except psycopg.errors.LockNotAvailable:
        return False


# ---------------------------------------------------------------- plate reads


def claim_expired_reads(conn: Conn, city_id: str, cutoff: datetime, limit: int) -> list[ExpiredRead]:
    """Lock up to `limit` reads past the city's LPR retention, not yet anonymised and not under investigation."""
    return fetch_all(
        conn,
        ExpiredRead,
        "SELECT r.id, r.plate, r.image_key FROM plate_reads r"
        " WHERE r.city_id = %s AND r.captured_at < %s AND r.anonymised_at IS NULL"
        " AND NOT EXISTS (SELECT 1 FROM alerts a WHERE a.status = 'acknowledged' AND a.read_ids @> ARRAY[r.id])"
        " ORDER BY r.captured_at LIMIT %s FOR UPDATE OF r SKIP LOCKED",
        (city_id, cutoff, limit),
    )


def anonymise_reads(conn: Conn, hashed: list[tuple[Any, str]]) -> int:
    """Replace each read's plate by its keyed hash and clear what could find or single it out again:
    the fuzzy-search skeleton and keys, the vehicle description and the image key."""
    if not hashed:
        return 0
    return conn.execute(
        "UPDATE plate_reads r SET plate = d.h, plate_skeleton = NULL, plate_keys = NULL, vehicle = NULL,"
        " vehicle_color = NULL, vehicle_type = NULL, image_key = NULL, anonymised_at = now()"
        " FROM unnest(%s::uuid[], %s::text[]) AS d(id, h) WHERE r.id = d.id",
        ([i for i, _ in hashed], [h for _, h in hashed]),
    ).rowcount


# ---------------------------------------------------------------- clips and rejected uploads


def claim_expired_clips(conn: Conn, city_id: str, cutoff: datetime, limit: int) -> list[ExpiredClip]:
    """Lock up to `limit` of a city's clips made before `cutoff` and not held (a clip a worker is
    cutting right now, lease alive, is left for the next run)."""
    return fetch_all(
        conn,
        ExpiredClip,
        "SELECT id, s3_key, manifest_key FROM clips WHERE city_id = %s AND created_at < %s AND NOT held"
        " AND NOT (status = 'processing' AND lease_until > now())"
        " ORDER BY created_at LIMIT %s FOR UPDATE SKIP LOCKED",
        (city_id, cutoff, limit),
    )


def delete_clips(conn: Conn, ids: list[Any]) -> int:
    """Delete clip rows (their clip_segments go with them); a clip held meanwhile is never deleted."""
    if not ids:
        return 0
    return conn.execute("DELETE FROM clips WHERE id = ANY(%s::uuid[]) AND NOT held", (ids,)).rowcount


def claim_expired_rejections(conn: Conn, now: datetime, default_days: int, limit: int) -> list[ExpiredRejection]:
    """Lock up to `limit` refused uploads older than their camera's city plan (`default_days` when the
    key names no known camera)."""
    return fetch_all(
        conn,
        ExpiredRejection,
        "SELECT r.id, r.s3_key FROM rejected_uploads r"
        " LEFT JOIN cameras c ON c.id::text = regexp_replace(lower(split_part(r.s3_key, '/', 2)), '_sub$', '')"
        " LEFT JOIN cities ci ON ci.id = c.city_id"
        " WHERE r.at < %s - make_interval(days => coalesce(ci.retention_days, %s))"
        " ORDER BY r.id LIMIT %s FOR UPDATE OF r SKIP LOCKED",
        (now, default_days, limit),
    )


def delete_rejections(conn: Conn, ids: list[int]) -> int:
    """Delete these refused-upload records; how many were deleted."""
    if not ids:
        return 0
    return conn.execute("DELETE FROM rejected_uploads WHERE id = ANY(%s::bigint[])", (ids,)).rowcount


# ---------------------------------------------------------------- run records


def start_run(conn: Conn) -> int:
    """Record the start of a retention run; returns its id."""
    row = conn.execute("INSERT INTO retention_runs DEFAULT VALUES RETURNING id").fetchone()
    assert row is not None
    return int(row["id"])


def finish_run(conn: Conn, run_id: int, status: str, counts: dict[str, Any]) -> None:
    """Record how a retention run ended and what it deleted."""
    conn.execute(
        "UPDATE retention_runs SET finished_at = now(), status = %(status)s,"
        " segments_deleted = %(segments_deleted)s, objects_deleted = %(objects_deleted)s,"
        " partitions_dropped = %(partitions_dropped)s, reads_anonymised = %(reads_anonymised)s,"
        " cities_skipped = %(cities_skipped)s, detail = %(detail)s WHERE id = %(id)s",
        {
            **counts,
            "status": status,
            "id": run_id,
            "detail": Jsonb(
                {
                    **(counts.get("detail") or {}),
                    "incomplete": bool(counts.get("incomplete")),
                    "clips_deleted": counts.get("clips_deleted", 0),
                    "rejected_uploads_deleted": counts.get("rejected_uploads_deleted", 0),
                }
            ),
        },
    )
