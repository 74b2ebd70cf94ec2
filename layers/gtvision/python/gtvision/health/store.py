"""SQL of stream and recording health: per-camera state, status changes, samples and health alerts.

Written for the poller's shape: one statement per kind of write for the whole fleet (1,000 cameras a
minute), never a statement per camera. Samples live in daily partitions of `stream_samples`, created
ahead by `ensure_sample_partitions` and dropped whole by `drop_sample_partitions_before`.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta

from psycopg import sql

from gtvision.core.db import Conn
from gtvision.core.sql import columns, fetch_all, fetch_exactly_one, fetch_one
from gtvision.health.schemas import (
    CameraHealth,
    CityCounts,
    CityHealthRow,
    NewSample,
    Sample,
    StartedCamera,
    StatusChange,
    Troubled,
)

#: How far back the poller looks for a camera's last segment (older: the stored `last_segment_end`).
SEGMENT_LOOKBACK = timedelta(days=2)

_known: set[date] = set()
_known_lock = threading.Lock()


# ---------------------------------------------------------------------------------- sample partitions


def sample_partition_name(day: date) -> str:
    """The name of the stream samples partition of a day."""
    return f"stream_samples_p{day:%Y%m%d}"


def ensure_sample_partitions(conn: Conn, days: list[date]) -> None:
    """Create the daily partitions of `days` if missing (remembered per process; advisory-locked)."""
    for day in days:
        with _known_lock:
            if day in _known:
                continue
        lo = datetime.combine(day, time(0), UTC)
        with conn.transaction():
            conn.execute("SELECT pg_advisory_xact_lock(hashtext('stream_samples_partitions'), %s)", (day.toordinal(),))
            conn.execute(
                sql.SQL(
                    "CREATE TABLE IF NOT EXISTS {t} PARTITION OF stream_samples FOR VALUES FROM ({lo}) TO ({hi})"
                ).format(
                    t=sql.Identifier(sample_partition_name(day)),
                    lo=sql.Literal(lo),
                    hi=sql.Literal(lo + timedelta(days=1)),
                )
            )
        with _known_lock:
            _known.add(day)


def drop_sample_partitions_before(conn: Conn, day: date) -> list[str]:
    """Drop every sample partition of a day before `day` (retention); returns the dropped names."""
    rows = conn.execute(
        "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid"
        " WHERE i.inhparent = 'stream_samples'::regclass AND c.relname < %s ORDER BY c.relname",
        (sample_partition_name(day),),
    ).fetchall()
    names = [r["relname"] for r in rows]
    for name in names:
        conn.execute(sql.SQL("DROP TABLE IF EXISTS {t}").format(t=sql.Identifier(name)))
    if names:
        with _known_lock:
            _known.clear()
    return names


# ---------------------------------------------------------------------------------- the fleet's state


def started_cameras(conn: Conn, now: datetime) -> list[StartedCamera]:
    """Every camera a manager started (`status = 'streaming'`) with its health row (may be NULLs), its
    last segment in the lookback and whether a health incident is open — one statement for the fleet."""
    return fetch_all(
        conn,
        StartedCamera,
        "SELECT c.id AS camera_id, c.city_id, c.name, h.status, h.since, h.started_at, h.sampled_at,"
        " h.online_time, h.inbound_bytes, h.frames_in_error_total, h.last_segment_end AS stored_segment_end,"
        " coalesce(h.path_readds, 0) AS path_readds, h.path_readd_after,"
        " c.substream_url IS NOT NULL AS has_substream,"
        " s.end_at AS segment_end, s.duration_s AS segment_duration_s, s.frame_count AS segment_frames,"
        " EXISTS (SELECT 1 FROM alerts a WHERE a.kind = 'camera_offline' AND a.camera_id = c.id"
        "         AND a.resolved_at IS NULL) AS offline_open,"
        " EXISTS (SELECT 1 FROM alerts a WHERE a.kind = 'recording_stalled' AND a.camera_id = c.id"
        "         AND a.resolved_at IS NULL) AS stalled_open"
        " FROM cameras c LEFT JOIN camera_health h ON h.camera_id = c.id"
        " LEFT JOIN LATERAL (SELECT end_at, duration_s, frame_count FROM segments"
        "   WHERE camera_id = c.id AND start_at >= %(lookback)s AND start_at <= %(now)s"
        "   ORDER BY start_at DESC LIMIT 1) s ON true"
        " WHERE c.status = 'streaming' ORDER BY c.id",
        {"lookback": now - SEGMENT_LOOKBACK, "now": now},
    )


_HEALTH_FIELDS = (
    ("camera_id", "uuid"),
    ("city_id", "uuid"),
    ("status", "text"),
    ("since", "timestamptz"),
    ("started_at", "timestamptz"),
    ("sampled_at", "timestamptz"),
    ("online_time", "text"),
    ("inbound_bytes", "bigint"),
    ("frames_in_error_total", "bigint"),
    ("inbound_kbps", "float8"),
    ("frames_in_error", "bigint"),
    ("readers", "int"),
    ("readers_by_type", "jsonb"),
    ("codec", "text"),
    ("width", "int"),
    ("height", "int"),
    ("fps", "float8"),
    ("last_segment_end", "timestamptz"),
    ("recording_lag_s", "float8"),
    ("path_readds", "int"),
    ("path_readd_after", "timestamptz"),
)


def save_health(conn: Conn, rows: Sequence[CameraHealth]) -> int:
    """Upsert the latest state of many cameras in one statement (arrays unnested server-side)."""
    if not rows:
        return 0
    names = [n for n, _ in _HEALTH_FIELDS]
    # jsonb travels as text[] (psycopg has no jsonb[] adapter for lists of dicts) and is cast back per row.
    arrays = [
        [None if (v := getattr(r, n)) is None else json.dumps(v) for r in rows]
        if t == "jsonb"
        else [getattr(r, n) for r in rows]
        for n, t in _HEALTH_FIELDS
    ]
    unnest = ", ".join(f"%s::{'text' if t == 'jsonb' else t}[]" for _, t in _HEALTH_FIELDS)
    select = ", ".join(f"{n}::jsonb" if t == "jsonb" else n for n, t in _HEALTH_FIELDS)
    updates = ", ".join(f"{n} = EXCLUDED.{n}" for n in names if n != "camera_id")
    cur = conn.execute(
        f"INSERT INTO camera_health ({', '.join(names)})"
        f" SELECT {select} FROM unnest({unnest}) AS u({', '.join(names)})"
        f" ON CONFLICT (camera_id) DO UPDATE SET {updates}",
        arrays,
    )
    return cur.rowcount


_SAMPLE_FIELDS = (
    "camera_id",
    "city_id",
    "at",
    "online",
    "inbound_kbps",
    "frames_in_error",
    "readers",
    "fps",
    "recording_lag_s",
)


def insert_samples(conn: Conn, rows: Sequence[NewSample]) -> int:
    """COPY the poll's samples (one per started camera) into `stream_samples`."""
    with conn.cursor().copy(f"COPY stream_samples ({', '.join(_SAMPLE_FIELDS)}) FROM STDIN") as copy:
        for r in rows:
            copy.write_row([getattr(r, f) for f in _SAMPLE_FIELDS])
    return len(rows)


def set_status(
    conn: Conn, camera_id: str, city_id: str, status: str, at: datetime, started: bool = False
) -> str | None:
    """Set one camera's status (creating its health row); returns the previous status, or None when it
    was already `status`. `started` also resets the stall reference to `at` (a manager started it)."""
    row = conn.execute("SELECT status FROM camera_health WHERE camera_id = %s FOR UPDATE", (camera_id,)).fetchone()
    if row is None:
        conn.execute(
            "INSERT INTO camera_health (camera_id, city_id, status, since, started_at) VALUES (%s, %s, %s, %s, %s)"
            " ON CONFLICT (camera_id) DO NOTHING",
            (camera_id, city_id, status, at, at if started else None),
        )
        return "unknown" if status != "unknown" else None
    if started:
        conn.execute("UPDATE camera_health SET started_at = %s WHERE camera_id = %s", (at, camera_id))
    if row["status"] == status:
        return None
    conn.execute("UPDATE camera_health SET status = %s, since = %s WHERE camera_id = %s", (status, at, camera_id))
    return str(row["status"])


def insert_status_changes(conn: Conn, changes: Sequence[StatusChange]) -> None:
    """Record cameras' status changes (online, offline...)."""
    if not changes:
        return
    fields = ("camera_id", "city_id", "status", "previous", "at", "source")
    with conn.cursor().copy(f"COPY camera_status_changes ({', '.join(fields)}) FROM STDIN") as copy:
        for c in changes:
            copy.write_row([getattr(c, f) for f in fields])


# ---------------------------------------------------------------------------------- reads


def camera_state(conn: Conn, camera_id: str) -> CameraHealth | None:
    """The camera's last known health, if any."""
    return fetch_one(
        conn, CameraHealth, f"SELECT {columns(CameraHealth)} FROM camera_health WHERE camera_id = %s", (camera_id,)
    )


def samples(conn: Conn, camera_id: str, from_: datetime, to: datetime) -> list[Sample]:
    """A camera's stream samples in [from_, to), oldest first."""
    return fetch_all(
        conn,
        Sample,
        f"SELECT {columns(Sample)} FROM stream_samples WHERE camera_id = %s AND at >= %s AND at < %s ORDER BY at",
        (camera_id, from_, to),
    )


#: The status the API shows, from the manager's start flag and the latest observed state (one home).
DERIVED_STATUS_SQL = (
    "CASE WHEN {cam}.status = 'streaming' THEN COALESCE({health}.status, 'unknown')"
    " WHEN {cam}.status = 'stopped' THEN 'offline' ELSE 'unknown' END"
)


def city_health(conn: Conn, city_id: str, now: datetime, only: Sequence[str] | None = None) -> CityHealthRow:
    """Counts of a city's cameras by derived status at `now`, its stalled and troubled cameras — of the cameras
    in `only` when given (a user restricted to camera groups), their alerts and plate reads too."""
    derived = DERIVED_STATUS_SQL.format(cam="c", health="h")
    mine = "" if only is None else " AND c.id = ANY(%(only)s::uuid[])"
    theirs = "" if only is None else " AND camera_id = ANY(%(only)s::uuid[])"
    params = {"city": city_id, "only": list(only) if only is not None else None}
    counts = fetch_exactly_one(
        conn,
        CityCounts,
        f"SELECT count(*) AS cameras,"
        f" count(*) FILTER (WHERE {derived} = 'online') AS online,"
        f" count(*) FILTER (WHERE {derived} = 'offline') AS offline,"
        f" count(*) FILTER (WHERE {derived} = 'unknown') AS unknown,"
        f" count(*) FILTER (WHERE c.status = 'stopped') AS stopped"
        f" FROM cameras c LEFT JOIN camera_health h ON h.camera_id = c.id WHERE c.city_id = %(city)s{mine}",
        params,
    )
    stalled = conn.execute(
        "SELECT camera_id FROM alerts WHERE city_id = %(city)s AND kind = 'recording_stalled' AND resolved_at IS NULL"
        f"{theirs} ORDER BY created_at",
        params,
    ).fetchall()
    troubled = fetch_all(
        conn,
        Troubled,
        f"SELECT c.id, c.name, {derived} AS status, h.since, h.recording_lag_s FROM cameras c"
        f" LEFT JOIN camera_health h ON h.camera_id = c.id WHERE c.city_id = %(city)s AND c.status = 'streaming'{mine}"
        f" AND (COALESCE(h.status, 'unknown') <> 'online' OR EXISTS (SELECT 1 FROM alerts a"
        f"  WHERE a.camera_id = c.id AND a.kind = 'recording_stalled' AND a.resolved_at IS NULL))"
        f" ORDER BY h.since NULLS FIRST, c.id LIMIT 200",
        params,
    )
    reads = conn.execute(
        "SELECT count(*) AS n FROM plate_reads WHERE city_id = %(city)s AND captured_at >= %(lo)s"
        f" AND captured_at < %(hi)s{theirs}",
        {**params, "lo": now - timedelta(hours=1), "hi": now + timedelta(minutes=5)},
    ).fetchone()
    open_alerts = conn.execute(
        "SELECT count(*) AS n FROM alerts WHERE city_id = %(city)s AND resolved_at IS NULL AND status = 'open'"
        f"{theirs}",
        params,
    ).fetchone()
    return CityHealthRow(
        counts=counts,
        stalled=[r["camera_id"] for r in stalled],
        troubled=troubled,
        lpr_reads_last_hour=int(reads["n"]) if reads else 0,
        open_alerts=int(open_alerts["n"]) if open_alerts else 0,
    )
