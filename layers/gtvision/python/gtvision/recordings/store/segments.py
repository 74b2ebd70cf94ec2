"""SQL of the segment index: daily partitions, idempotent registration, range reads and the timeline.

Every read is bounded by `camera_id` and a `start_at` range, so PostgreSQL prunes to the partitions of
the range and walks the (camera_id, start_at, quality) primary key — never a scan of the camera's history.
Registration reads what it needs in one round trip (`registration`: the camera, its city's plans, the segment
already under the key, the camera's view state) and writes in one (`register`: the row, the view state and
the stale rejections in one statement).
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from datetime import UTC, date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any

from psycopg import sql
from psycopg.rows import class_row
from psycopg.types.json import Jsonb

from gtvision.core.db import Conn
from gtvision.core.sql import columns, fetch_all, fetch_exactly_one, fetch_one
from gtvision.recordings.schemas import Quality, Segment

if TYPE_CHECKING:  # rows of the API's reads and of registering an upload, imported where they are read (ADR 0029)
    from gtvision.recordings.api_schemas import ThumbnailRow, TimelineRow
    from gtvision.recordings.upload_schemas import Registration, Rejection, ViewUpdate

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
    "quality",
)
_KEY = "camera_id = %(camera_id)s AND start_at = %(start_at)s AND quality = %(quality)s"
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


def _values(row: Mapping[str, Any]) -> dict[str, Any]:
    return {c: row.get(c) for c in _COLUMNS} | {"quality": row.get("quality") or "main"}


def insert(conn: Conn, row: Mapping[str, Any]) -> bool:
    """Register one segment; False when (camera_id, start_at, quality) was already registered (a duplicate)."""
    ensure_partition(conn, row["start_at"].astimezone(UTC).date())
    values = _values(row)
    cols = sql.SQL(", ").join(sql.Identifier(c) for c in _COLUMNS)
    params = sql.SQL(", ").join(sql.Placeholder(c) for c in _COLUMNS)
    cur = conn.execute(
        sql.SQL("INSERT INTO segments ({c}) VALUES ({p}) ON CONFLICT (camera_id, start_at, quality) DO NOTHING").format(
            c=cols, p=params
        ),
        values,
    )
    return cur.rowcount == 1


def replace(conn: Conn, row: Mapping[str, Any], previous_sha256: str | None) -> int | None:
    """Re-register a segment whose object was overwritten; its new revision, or None when another delivery
    already did."""
    changing = [c for c in _COLUMNS if c not in ("camera_id", "start_at", "city_id", "quality")]
    sets = sql.SQL(", ").join(sql.SQL("{} = {}").format(sql.Identifier(c), sql.Placeholder(c)) for c in changing)
    found = conn.execute(
        sql.SQL(
            "UPDATE segments SET {s}, revision = revision + 1 WHERE "
            + _KEY
            + " AND sha256 IS NOT DISTINCT FROM %(previous_sha256)s RETURNING revision"
        ).format(s=sets),
        {**_values(row), "previous_sha256": previous_sha256},
    ).fetchone()
    return int(found["revision"]) if found else None


def set_etag(conn: Conn, camera_id: str, start_at: datetime, etag: str, quality: Quality = "main") -> None:
    """Remember the ETag of identical bytes uploaded again, so their next duplicate event is a HEAD only."""
    conn.execute(
        "UPDATE segments SET etag = %(etag)s WHERE " + _KEY,
        {"etag": etag, "camera_id": camera_id, "start_at": start_at, "quality": quality},
    )


def any_registered(conn: Conn) -> bool:
    """Whether any segment was ever registered."""
    row = conn.execute("SELECT EXISTS (SELECT 1 FROM segments) AS any").fetchone()
    return bool(row and row["any"])


def get(conn: Conn, camera_id: str, start_at: datetime, quality: Quality = "main") -> Segment | None:
    """One segment by camera, start and quality; None when missing."""
    return fetch_one(
        conn,
        Segment,
        f"SELECT {columns(Segment)} FROM segments WHERE " + _KEY,
        {"camera_id": camera_id, "start_at": start_at, "quality": quality},
    )


def in_range(
    conn: Conn, camera_id: str, from_: datetime, to: datetime, quality: Quality | None = None
) -> list[Segment]:
    """Segments of a camera overlapping [from_, to) — of one quality, or both — ordered by start_at."""
    only = " AND quality = %(quality)s" if quality else ""
    return fetch_all(
        conn,
        Segment,
        f"SELECT {columns(Segment)} FROM segments WHERE camera_id = %(cam)s"
        " AND start_at >= %(lookback)s AND start_at < %(to)s AND end_at > %(from)s"
        + only
        + " ORDER BY start_at, quality",
        {"cam": camera_id, "from": from_, "to": to, "lookback": from_ - MAX_SEGMENT, "quality": quality},
    )


def timeline(conn: Conn, camera_id: str, from_: datetime, to: datetime) -> TimelineRow:
    """Spans (segments ≤ 1 s apart merged), gaps, covered seconds and segment count over [from_, to).

    Gaps-and-islands in one statement: a segment opens a new span when it starts more than TOUCH after
    the furthest end seen so far; spans and gaps are clipped to the range.
    """
    from gtvision.recordings.api_schemas import TimelineRow

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
    from gtvision.recordings.upload_schemas import Rejection

    return fetch_all(
        conn, Rejection, f"SELECT {columns(Rejection)} FROM rejected_uploads WHERE s3_key = %s ORDER BY id", (s3_key,)
    )


def thumbnails_page(
    conn: Conn, camera_id: str, from_: datetime, to: datetime, limit: int, after: datetime | None
) -> list[ThumbnailRow]:
    """Up to limit+1 segments with a thumbnail starting in [from_, to) (after `after`), by start_at."""
    from gtvision.recordings.api_schemas import ThumbnailRow

    lo = max(from_, after + timedelta(microseconds=1)) if after else from_
    # A sub-stream thumbnail only where no main segment was recorded (the best quality, as playback plays it).
    return fetch_all(
        conn,
        ThumbnailRow,
        "SELECT s.start_at, s.thumb_key FROM segments s WHERE s.camera_id = %(cam)s AND s.start_at >= %(lo)s"
        " AND s.start_at < %(to)s AND s.thumb_key IS NOT NULL AND (s.quality = 'main' OR NOT EXISTS ("
        "   SELECT 1 FROM segments m WHERE m.camera_id = s.camera_id AND m.quality = 'main'"
        "   AND m.start_at >= s.start_at - %(max)s AND m.start_at < s.end_at AND m.end_at > s.start_at))"
        " ORDER BY s.start_at LIMIT %(n)s",
        {"cam": camera_id, "lo": lo, "to": to, "n": limit + 1, "max": MAX_SEGMENT},
    )


# ---------------------------------------------------------------- registration: one round trip each way


def registration(conn: Conn, camera_id: str, start_at: datetime, quality: Quality) -> Registration:
    """The camera with its city's plans, the segment under (camera, start, quality) and the camera's view
    state — three reads pipelined with the commit: one round trip."""
    from gtvision.recordings.upload_schemas import CameraPlan, Registration, ViewState

    key = {"camera_id": camera_id, "start_at": start_at, "quality": quality}
    with conn.pipeline():
        plan = conn.cursor(row_factory=class_row(CameraPlan)).execute(
            "SELECT c.id AS camera_id, c.city_id, c.name, ci.retention_days,"
            " least(coalesce(ci.full_quality_days, ci.retention_days), ci.retention_days) AS full_quality_days"
            " FROM cameras c JOIN cities ci ON ci.id = c.city_id WHERE c.id = %(camera_id)s",
            key,
        )
        existing = conn.cursor(row_factory=class_row(Segment)).execute(
            f"SELECT {columns(Segment)} FROM segments WHERE " + _KEY, key
        )
        view = conn.cursor(row_factory=class_row(ViewState)).execute(
            f"SELECT {columns(ViewState)} FROM camera_views WHERE camera_id = %(camera_id)s", key
        )
        conn.commit()
    return Registration(plan.fetchone(), existing.fetchone(), view.fetchone())


_VIEW_COLUMNS = (
    "last_luma",
    "last_sharpness",
    "last_mean",
    "last_contrast",
    "last_at",
    "last_thumb_key",
    "suspect_reason",
    "suspect_count",
)


def register(conn: Conn, row: Mapping[str, Any], view: ViewUpdate | None) -> tuple[bool, bool]:
    """Insert a new segment, forget the key's stale rejections and move the camera's view state (`view`: the
    `camera_views` values of this segment, the first view becoming the reference) — one statement, pipelined
    with the commit. Returns (stored, view moved): not stored when a concurrent delivery won; the view moves
    only for a segment later than the last one seen (S3 events come in any order)."""
    ensure_partition(conn, row["start_at"].astimezone(UTC).date())
    values = _values(row)
    cols = ", ".join(_COLUMNS)
    params = ", ".join(f"%({c})s" for c in _COLUMNS)
    updates = ", ".join(f"{c} = EXCLUDED.{c}" for c in _VIEW_COLUMNS)
    statement = (
        f"WITH seg AS (INSERT INTO segments ({cols}) VALUES ({params})"
        "  ON CONFLICT (camera_id, start_at, quality) DO NOTHING RETURNING 1),"
        " rej AS (DELETE FROM rejected_uploads WHERE s3_key = %(s3_key)s AND reason = ANY(%(stale)s)"
        "  AND EXISTS (SELECT 1 FROM seg)),"
        " view AS (INSERT INTO camera_views (camera_id, city_id, reference_luma, reference_sharpness, reference_at,"
        "   reference_source, reference_thumb_key, last_luma, last_sharpness, last_mean, last_contrast, last_at,"
        "   last_thumb_key, suspect_reason, suspect_count)"
        "  SELECT %(camera_id)s, %(city_id)s, %(last_luma)s, %(last_sharpness)s, %(start_at)s, 'first_recording',"
        "   %(thumb_key)s, %(last_luma)s, %(last_sharpness)s, %(last_mean)s, %(last_contrast)s, %(start_at)s,"
        "   %(thumb_key)s, %(suspect_reason)s, %(suspect_count)s WHERE %(with_view)s AND EXISTS (SELECT 1 FROM seg)"
        f"  ON CONFLICT (camera_id) DO UPDATE SET {updates}, updated_at = now()"
        "  WHERE camera_views.last_at < EXCLUDED.last_at RETURNING 1)"
        " SELECT (SELECT count(*) FROM seg) AS stored, (SELECT count(*) FROM view) AS viewed"
    )
    args = {
        **values,
        "stale": list(TRANSIENT_REASONS),
        "with_view": view is not None,
        **{c: getattr(view, c, None) for c in _VIEW_COLUMNS},
        "last_at": row["start_at"],
        "suspect_count": view.suspect_count if view else 0,
    }
    with conn.pipeline():
        cur = conn.execute(statement, args)
        conn.commit()
    out = cur.fetchone()
    return bool(out and out["stored"]), bool(out and out["viewed"])
