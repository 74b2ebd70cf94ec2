"""SQL of the segment index: daily partitions, idempotent registration, range reads and the timeline.

Every read is bounded by `camera_id` and a `start_at` range, so PostgreSQL prunes to the partitions of
the range and walks the (camera_id, start_at) primary key — never a scan of the camera's history.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from psycopg import sql
from psycopg.types.json import Jsonb

from gtvision.core import aws, presign
from gtvision.core.db import Conn
from gtvision.core.settings import get_settings
from gtvision.core.sql import columns, fetch_all, fetch_exactly_one, fetch_one
from gtvision.recordings.schemas import Rejection, Segment, SegmentKeys, ThumbnailRow, TimelineRow

#: Longest segment accepted (the table's CHECK); range reads look back this far for segments begun before `from`.
MAX_SEGMENT = timedelta(hours=2)
#: Segments at most this far apart are one span of the timeline (and play without a discontinuity).
TOUCH = timedelta(seconds=1)

_COLUMNS = (
    "camera_id",
    "city_id",
    "start_at",
    "end_at",
    "duration_s",
    "s3_key",
    "thumb_key",
    "size_bytes",
    "sha256",
    "video_codec",
    "width",
    "height",
    "container",
    "init_bytes",
    "pts_start",
    "etag",
    "play_key",
    "play_size_bytes",
    "frame_count",
)
_known_partitions: set[date] = set()
_known_lock = threading.Lock()


def partition_name(day: date) -> str:
    """The name of the segments partition of a day."""
    return f"segments_p{day:%Y%m%d}"


def ensure_partition(conn: Conn, day: date) -> bool:
    """Create the partition of UTC `day` if missing (moving rows the DEFAULT partition holds for it).

    Returns True when it was created now. Serialised by an advisory lock, so concurrent uploads of a
    new day create it once. Known days are remembered per process: the common call costs nothing.
    """
    with _known_lock:
        if day in _known_partitions:
            return False
    name = partition_name(day)
    lo = datetime.combine(day, time(0), UTC)
    hi = lo + timedelta(days=1)
    created = False
    # A sub-transaction: the caller's transaction keeps going whatever happens to the DDL.
    with conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(hashtext('segments_partitions'), %s)", (day.toordinal(),))
        exists = conn.execute("SELECT to_regclass(%s) IS NOT NULL AS ok", (name,)).fetchone()
        if not (exists and exists["ok"]):
            table = sql.Identifier(name)
            conn.execute(
                sql.SQL("CREATE TABLE {t} (LIKE segments INCLUDING DEFAULTS INCLUDING CONSTRAINTS)").format(t=table)
            )
            # Rows that landed in DEFAULT for this day must leave it, or ATTACH would refuse the range.
            conn.execute(
                sql.SQL(
                    "WITH moved AS (DELETE FROM segments_default WHERE start_at >= %s AND start_at < %s RETURNING *)"
                    " INSERT INTO {t} SELECT * FROM moved"
                ).format(t=table),
                (lo, hi),
            )
            conn.execute(
                sql.SQL("ALTER TABLE segments ATTACH PARTITION {t} FOR VALUES FROM ({lo}) TO ({hi})").format(
                    t=table, lo=sql.Literal(lo), hi=sql.Literal(hi)
                )
            )
            created = True
    with _known_lock:
        _known_partitions.add(day)
    return created


def forget_partitions() -> None:
    """Drop the per-process memory of existing partitions (after retention drops some, and in tests)."""
    with _known_lock:
        _known_partitions.clear()


def insert(conn: Conn, row: Mapping[str, Any]) -> bool:
    """Register one segment; False when (camera_id, start_at) was already registered (duplicate event)."""
    ensure_partition(conn, row["start_at"].astimezone(UTC).date())
    values = {c: row.get(c) for c in _COLUMNS}
    cols = sql.SQL(", ").join(sql.Identifier(c) for c in _COLUMNS)
    params = sql.SQL(", ").join(sql.Placeholder(c) for c in _COLUMNS)
    cur = conn.execute(
        sql.SQL("INSERT INTO segments ({c}) VALUES ({p}) ON CONFLICT (camera_id, start_at) DO NOTHING").format(
            c=cols, p=params
        ),
        values,
    )
    return cur.rowcount == 1


def replace(conn: Conn, row: Mapping[str, Any], previous_sha256: str | None) -> int | None:
    """Re-register a segment whose object was overwritten; its new revision, or None when another delivery
    already did."""
    changing = [c for c in _COLUMNS if c not in ("camera_id", "start_at", "city_id")]
    sets = sql.SQL(", ").join(sql.SQL("{} = {}").format(sql.Identifier(c), sql.Placeholder(c)) for c in changing)
    found = conn.execute(
        sql.SQL(
            "UPDATE segments SET {s}, revision = revision + 1 WHERE camera_id = %(camera_id)s"
            " AND start_at = %(start_at)s AND sha256 IS NOT DISTINCT FROM %(previous_sha256)s RETURNING revision"
        ).format(s=sets),
        {**{c: row.get(c) for c in _COLUMNS}, "previous_sha256": previous_sha256},
    ).fetchone()
    return int(found["revision"]) if found else None


def set_etag(conn: Conn, camera_id: str, start_at: datetime, etag: str) -> None:
    """Remember the ETag of identical bytes uploaded again, so their next duplicate event is a HEAD only."""
    conn.execute("UPDATE segments SET etag = %s WHERE camera_id = %s AND start_at = %s", (etag, camera_id, start_at))


def any_registered(conn: Conn) -> bool:
    """Whether any segment was ever registered."""
    row = conn.execute("SELECT EXISTS (SELECT 1 FROM segments) AS any").fetchone()
    return bool(row and row["any"])


def get(conn: Conn, camera_id: str, start_at: datetime) -> Segment | None:
    """One segment by camera and start; None when missing."""
    return fetch_one(
        conn,
        Segment,
        f"SELECT {columns(Segment)} FROM segments WHERE camera_id = %s AND start_at = %s",
        (camera_id, start_at),
    )


def in_range(conn: Conn, camera_id: str, from_: datetime, to: datetime) -> list[Segment]:
    """Segments of a camera overlapping [from_, to), ordered by start_at."""
    return fetch_all(
        conn,
        Segment,
        f"SELECT {columns(Segment)} FROM segments WHERE camera_id = %(cam)s"
        " AND start_at >= %(lookback)s AND start_at < %(to)s AND end_at > %(from)s ORDER BY start_at",
        {"cam": camera_id, "from": from_, "to": to, "lookback": from_ - MAX_SEGMENT},
    )


def timeline(conn: Conn, camera_id: str, from_: datetime, to: datetime) -> TimelineRow:
    """Spans (segments ≤ 1 s apart merged), gaps, covered seconds and segment count over [from_, to).

    Gaps-and-islands in one statement: a segment opens a new span when it starts more than TOUCH after
    the furthest end seen so far; spans and gaps are clipped to the range.
    """
    return fetch_exactly_one(
        conn,
        TimelineRow,
        """
        WITH seg AS (
            SELECT greatest(start_at, %(from)s) AS s, least(end_at, %(to)s) AS e
            FROM segments
            WHERE camera_id = %(cam)s AND start_at >= %(lookback)s AND start_at < %(to)s AND end_at > %(from)s
        ), ordered AS (
            SELECT s, e, max(e) OVER (ORDER BY s, e ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS reach
            FROM seg
        ), grouped AS (
            SELECT s, e, count(*) FILTER (WHERE reach IS NULL OR s > reach + %(touch)s)
                         OVER (ORDER BY s, e ROWS UNBOUNDED PRECEDING) AS span
            FROM ordered
        ), spans AS (
            SELECT min(s) AS s, max(e) AS e, count(*) AS n FROM grouped GROUP BY span
        ), bounds AS (
            SELECT s, e, lag(e) OVER (ORDER BY s) AS prev_e FROM spans
        ), gaps AS (
            SELECT coalesce(prev_e, %(from)s) AS s, s AS e FROM bounds WHERE s > coalesce(prev_e, %(from)s)
            UNION ALL
            SELECT coalesce(max(e), %(from)s), %(to)s FROM spans HAVING coalesce(max(e), %(from)s) < %(to)s
        )
        SELECT
            (SELECT coalesce(array_agg(s ORDER BY s), '{}') FROM spans) AS span_starts,
            (SELECT coalesce(array_agg(e ORDER BY s), '{}') FROM spans) AS span_ends,
            (SELECT coalesce(array_agg(s ORDER BY s), '{}') FROM gaps) AS gap_starts,
            (SELECT coalesce(array_agg(e ORDER BY s), '{}') FROM gaps) AS gap_ends,
            (SELECT coalesce(sum(extract(epoch FROM e - s)), 0)::float8 FROM spans) AS covered_s,
            (SELECT coalesce(sum(n), 0)::bigint FROM spans) AS segments
        """,
        {"cam": camera_id, "from": from_, "to": to, "lookback": from_ - MAX_SEGMENT, "touch": TOUCH},
    )


def record_rejection(conn: Conn, s3_key: str, reason: str, detail: Mapping[str, Any]) -> None:
    """Remember a refused upload once per (key, reason); a repeated event only counts another attempt."""
    conn.execute(
        "INSERT INTO rejected_uploads (s3_key, reason, detail) VALUES (%s, %s, %s)"
        " ON CONFLICT (s3_key, reason) DO UPDATE SET attempts = rejected_uploads.attempts + 1, at = now(),"
        " detail = EXCLUDED.detail",
        (s3_key, reason, Jsonb(dict(detail))),
    )


#: Rejections that said something about the world, not the object (its event came before it; its camera
#: did not exist yet): stale once the key registers.
TRANSIENT_REASONS = ("object_missing", "unknown_camera")


def clear_stale_rejections(conn: Conn, s3_key: str) -> int:
    """Forget the rejections of a key that has now registered, of the reasons that no longer hold."""
    return conn.execute(
        "DELETE FROM rejected_uploads WHERE s3_key = %s AND reason = ANY(%s)", (s3_key, list(TRANSIENT_REASONS))
    ).rowcount


def rejections(conn: Conn, s3_key: str) -> list[Rejection]:
    """Why an uploaded key was refused, every time it was."""
    return fetch_all(
        conn, Rejection, f"SELECT {columns(Rejection)} FROM rejected_uploads WHERE s3_key = %s ORDER BY id", (s3_key,)
    )


def thumbnails_page(
    conn: Conn, camera_id: str, from_: datetime, to: datetime, limit: int, after: datetime | None
) -> list[ThumbnailRow]:
    """Up to limit+1 segments with a thumbnail starting in [from_, to) (after `after`), by start_at."""
    lo = max(from_, after + timedelta(microseconds=1)) if after else from_
    return fetch_all(
        conn,
        ThumbnailRow,
        "SELECT start_at, thumb_key FROM segments WHERE camera_id = %(cam)s AND start_at >= %(lo)s"
        " AND start_at < %(to)s AND thumb_key IS NOT NULL ORDER BY start_at LIMIT %(n)s",
        {"cam": camera_id, "lo": lo, "to": to, "n": limit + 1},
    )


# ---------------------------------------------------------------- objects


RETENTION_TAG = "retention-days"
#: The tag value no lifecycle rule matches: objects under legal hold never expire by lifecycle.
HELD = "held"


def put_thumbnail(bucket: str, key: str, path: str, retention: str) -> None:
    """Store a segment's JPEG thumbnail, tagged with its retention."""
    with open(path, "rb") as fh:
        aws.client("s3").put_object(
            Bucket=bucket, Key=key, Body=fh.read(), ContentType="image/jpeg", Tagging=f"{RETENTION_TAG}={retention}"
        )


def store_for_plan(bucket: str, key: str, retention: str, storage_class: str) -> None:
    """Tag ``key`` with the plan and move it to ``storage_class`` in one request (an in-place copy).

    Costs what the tagging PUT it replaces costs (one PUT-class request). The bucket notifies only
    ObjectCreated:Put/CompleteMultipartUpload, so the copy raises no second registration event.
    """
    aws.client("s3").copy_object(
        Bucket=bucket,
        Key=key,
        CopySource={"Bucket": bucket, "Key": key},
        StorageClass=storage_class,
        MetadataDirective="COPY",
        TaggingDirective="REPLACE",
        Tagging=f"{RETENTION_TAG}={retention}",
    )


def put_rendition(bucket: str, key: str, path: str, retention: str) -> None:
    """Store a segment's playable (MPEG-TS) copy, tagged like the original."""
    aws.client("s3").upload_file(
        path, bucket, key, ExtraArgs={"ContentType": "video/mp2t", "Tagging": f"{RETENTION_TAG}={retention}"}
    )


def tag_retention(bucket: str, keys: list[str], retention: str) -> None:
    """Tag objects for the bucket's lifecycle safety net (`retention-days` = 7|15|30, or `held`)."""
    s3 = aws.client("s3")
    tagging = {"TagSet": [{"Key": RETENTION_TAG, "Value": retention}]}
    for key in keys:
        try:
            s3.put_object_tagging(Bucket=bucket, Key=key, Tagging=tagging)
        except s3.exceptions.NoSuchKey:
            continue  # already gone: nothing left for a lifecycle rule to expire


def source_keys_of_clip(conn: Conn, clip_id: str, *, only_unheld_elsewhere: bool) -> list[SegmentKeys]:
    """Object keys (+ city retention) of the segments a clip was cut from; optionally only those no other
    held clip still protects."""
    other = (
        " AND NOT EXISTS (SELECT 1 FROM clip_segments o JOIN clips c ON c.id = o.clip_id"
        " WHERE c.held AND o.clip_id <> cs.clip_id AND o.camera_id = cs.camera_id"
        " AND o.segment_start = cs.segment_start)"
        if only_unheld_elsewhere
        else ""
    )
    return fetch_all(
        conn,
        SegmentKeys,
        "SELECT s.s3_key, s.thumb_key, s.play_key, ci.retention_days FROM clip_segments cs"
        " JOIN segments s ON s.camera_id = cs.camera_id AND s.start_at = cs.segment_start"
        " JOIN cities ci ON ci.id = s.city_id WHERE cs.clip_id = %s" + other,
        (clip_id,),
    )


def presigned_urls(keys: list[str], expires_in: int) -> list[str]:
    """GET URLs of recordings-bucket objects, signed fast (gtvision.core.presign)."""
    return presign.for_bucket(aws.client("s3"), get_settings().recordings_bucket).urls(keys, expires_in)
