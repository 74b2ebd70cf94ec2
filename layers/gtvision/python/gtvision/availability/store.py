"""Read-only SQL of the availability report: a city's cameras, their recorded spans and their starts/stops.

It reads tables other features write (segments, cameras, camera_status_changes) and writes none: a report
is one query per input, not a call per camera through each feature's service (ADR 0022 allows read-only
reporting joins).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from gtvision.availability.schemas import CameraWindow, ManagerChange, Span
from gtvision.core.db import Conn
from gtvision.core.sql import fetch_all

#: Segments starting this long before the window may still reach into it (the index's longest segment).
LOOKBACK = timedelta(hours=2)


def cameras(conn: Conn, city_id: str, created_before: datetime) -> list[CameraWindow]:
    """The city's cameras that existed before `created_before`, by name."""
    return fetch_all(
        conn,
        CameraWindow,
        "SELECT id, name, created_at, status FROM cameras WHERE city_id = %s AND created_at < %s ORDER BY name, id",
        (city_id, created_before),
    )


def spans(conn: Conn, city_id: str, lo: datetime, hi: datetime) -> list[Span]:
    """Every camera's recorded spans clipped to [lo, hi): gaps and islands over the segment index (either
    quality counts), segments ≤ 1 s apart merged, as the timeline merges them."""
    return fetch_all(
        conn,
        Span,
        """
        WITH seg AS (
            SELECT camera_id, greatest(start_at, %(lo)s) AS s, least(end_at, %(hi)s) AS e
            FROM segments
            WHERE city_id = %(city)s AND start_at >= %(lookback)s AND start_at < %(hi)s AND end_at > %(lo)s
        ), ordered AS (
            SELECT camera_id, s, e, max(e) OVER (
                PARTITION BY camera_id ORDER BY s, e ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS seen
            FROM seg
        ), numbered AS (
            SELECT camera_id, s, e, sum(CASE WHEN seen IS NULL OR s > seen + interval '1 second' THEN 1 ELSE 0 END)
                OVER (PARTITION BY camera_id ORDER BY s, e) AS island
            FROM ordered
        )
        SELECT camera_id, min(s) AS start, max(e) AS "end" FROM numbered
        GROUP BY camera_id, island ORDER BY camera_id, start
        """,
        {"city": city_id, "lo": lo, "hi": hi, "lookback": lo - LOOKBACK},
    )


def manager_changes(conn: Conn, city_id: str, hi: datetime) -> list[ManagerChange]:
    """Starts and stops by managers up to `hi`, oldest first (the state at the window's start needs the
    last one before it)."""
    return fetch_all(
        conn,
        ManagerChange,
        "SELECT camera_id, status, at FROM camera_status_changes"
        " WHERE city_id = %s AND source = 'manager' AND at < %s ORDER BY camera_id, at",
        (city_id, hi),
    )
