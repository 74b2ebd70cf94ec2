"""SQL of watchlists and alerts: the alert rules' inputs (new reads against watchlists, clone pairs),
alerts and watchlist entries, and publishing an alert to SNS."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from psycopg.types.json import Jsonb

from gtvision.core import aws
from gtvision.core.db import Conn
from gtvision.core.settings import get_settings
from gtvision.core.sql import add_where

# ---------------------------------------------------------------------------------- alerts' inputs


#: The newly stored reads, materialised once: joining an unnested id list (hash/index join) instead
#: of `id = ANY (array)`, which the planner may evaluate as a filter per row (quadratic on big batches).
_NEW_READS = (
    "WITH n AS MATERIALIZED (SELECT r.id, r.city_id, r.plate, r.plate_keys, r.camera_id, r.captured_at, r.confidence"
    " FROM unnest(%(ids)s::uuid[]) AS i(id) JOIN plate_reads r ON r.id = i.id) "
)


def watchlist_hits(conn: Conn, read_ids: list[Any]) -> list[dict[str, Any]]:
    """(read, watchlist entry) pairs: same plate, or a shared wildcard key when the entry is fuzzy.

    Both sides are equality joins (plate; read key = entry key in watchlist_keys), so a batch of
    reads costs one hash or index join whatever the size of the list.
    """
    cols = (
        "n.id AS read_id, n.city_id, n.plate, n.camera_id, n.captured_at, n.confidence,"
        " w.id AS watchlist_id, w.plate AS watch_plate, w.reason, w.fuzzy, w.agreement_id, w.source_ref"
    )
    live = "(w.expires_at IS NULL OR w.expires_at > now())"  # an expired (hotlist) entry stops matching at once
    return conn.execute(
        _NEW_READS + f"SELECT {cols} FROM n JOIN watchlist w ON w.city_id = n.city_id AND w.plate = n.plate"
        f" AND {live} UNION SELECT {cols} FROM n CROSS JOIN unnest(n.plate_keys) AS k(key)"
        " JOIN watchlist_keys wk ON wk.city_id = n.city_id AND wk.key = k.key"
        f" JOIN watchlist w ON w.id = wk.watchlist_id AND {live}",
        {"ids": list(read_ids)},
    ).fetchall()


def clone_pairs(conn: Conn, read_ids: list[Any], window_s: int) -> list[dict[str, Any]]:
    """Each new read with the same plate's reads in its city within ±window at another located camera.

    One (city_id, plate, captured_at) range probe per new read (LATERAL … OFFSET 0 keeps the planner
    from turning it into a hash join over the whole table).
    """
    return conn.execute(
        _NEW_READS + "SELECT n.id AS read_id, n.city_id, n.plate, n.camera_id, n.captured_at, cn.lat, cn.lon,"
        " o.id AS other_id, o.camera_id AS other_camera_id, o.captured_at AS other_captured_at,"
        " co.lat AS other_lat, co.lon AS other_lon"
        " FROM n JOIN cameras cn ON cn.id = n.camera_id"
        " CROSS JOIN LATERAL ("
        "   SELECT p.id, p.camera_id, p.captured_at FROM plate_reads p"
        "   WHERE p.city_id = n.city_id AND p.plate = n.plate"
        "   AND p.captured_at >= n.captured_at - make_interval(secs => %(w)s)"
        "   AND p.captured_at <= n.captured_at + make_interval(secs => %(w)s)"
        "   AND p.camera_id <> n.camera_id AND p.anonymised_at IS NULL OFFSET 0) o"
        " JOIN cameras co ON co.id = o.camera_id"
        " WHERE cn.lat IS NOT NULL AND cn.lon IS NOT NULL AND co.lat IS NOT NULL AND co.lon IS NOT NULL",
        {"ids": list(read_ids), "w": window_s},
    ).fetchall()


# ---------------------------------------------------------------------------------- alerts

ALERT_COLS = (
    "id, city_id, kind, plate, camera_id, captured_at, read_ids, watchlist_id, status, detail, created_at, resolved_at"
)


def insert_alerts(conn: Conn, alerts: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Insert, 500 rows a statement, skipping any whose (kind, dedup_key) exists; returns the new rows."""
    fields = ("city_id", "kind", "plate", "camera_id", "captured_at", "read_ids", "watchlist_id", "dedup_key", "detail")
    row_sql = "(%s, %s, %s, %s, %s, %s::uuid[], %s, %s, %s)"
    created: list[dict[str, Any]] = []
    for start in range(0, len(alerts), 500):
        chunk = alerts[start : start + 500]
        params: list[Any] = []
        for a in chunk:
            params += [Jsonb(a.get("detail") or {}) if f == "detail" else a[f] for f in fields]
        created += conn.execute(
            f"INSERT INTO alerts ({', '.join(fields)}) VALUES {', '.join([row_sql] * len(chunk))}"
            f" ON CONFLICT (kind, dedup_key) DO NOTHING RETURNING {ALERT_COLS}",
            params,
        ).fetchall()
    return created


def list_alerts(
    conn: Conn,
    city_id: str | None,
    since: datetime | None,
    kind: str | None,
    after: list[Any] | None,
    limit: int,
    open_only: bool = False,
) -> list[dict[str, Any]]:
    """Alerts newest first, optionally of one city, since a time or of one kind (keyset page)."""
    where: list[str] = ["resolved_at IS NULL"] if open_only else ["true"]
    params: dict[str, Any] = {"n": limit + 1}
    add_where(where, params, "city_id = %(city_id)s", city_id=city_id)
    add_where(where, params, "created_at >= %(since)s", since=since)
    add_where(where, params, "kind = %(kind)s", kind=kind)
    if after:
        add_where(where, params, "(created_at, id) < (%(a_at)s, %(a_id)s)", a_at=after[0], a_id=after[1])
    return conn.execute(
        f"SELECT {ALERT_COLS} FROM alerts WHERE {' AND '.join(where)} ORDER BY created_at DESC, id DESC LIMIT %(n)s",
        params,
    ).fetchall()


def set_alert_status(conn: Conn, alert_id: str, city_id: str | None, status: str) -> dict[str, Any] | None:
    """Move an alert to `status`; None when missing or (city_id given) in another city."""
    return conn.execute(
        f"UPDATE alerts SET status = %(status)s WHERE id = %(id)s AND (%(city)s::uuid IS NULL OR city_id = %(city)s)"
        f" RETURNING {ALERT_COLS}",
        {"status": status, "id": alert_id, "city": city_id},
    ).fetchone()


def alert_visible(conn: Conn, alert_id: str, city_id: str | None) -> bool:
    """Whether the alert exists (and, city_id given, belongs to that city)."""
    row = conn.execute(
        "SELECT 1 FROM alerts WHERE id = %(id)s AND (%(city)s::uuid IS NULL OR city_id = %(city)s)",
        {"id": alert_id, "city": city_id},
    ).fetchone()
    return row is not None


# ---------------------------------------------------------------------------------- watchlist

WATCH_COLS = "id, city_id, plate, reason, fuzzy, created_by, created_at, agreement_id, source_ref, expires_at"


def insert_watch(conn: Conn, values: dict[str, Any], keys: list[str]) -> dict[str, Any] | None:
    """The new entry (with its fuzzy `keys` indexed), or None when the plate is already on the city's list."""
    row = conn.execute(
        "INSERT INTO watchlist (city_id, plate, reason, fuzzy, created_by)"
        " VALUES (%(city_id)s, %(plate)s, %(reason)s, %(fuzzy)s, %(created_by)s)"
        f" ON CONFLICT (city_id, plate) WHERE agreement_id IS NULL DO NOTHING RETURNING {WATCH_COLS}",
        values,
    ).fetchone()
    if row is not None and keys:
        conn.execute(
            "INSERT INTO watchlist_keys (city_id, key, watchlist_id) SELECT %s, k, %s FROM unnest(%s::text[]) k",
            (row["city_id"], row["id"], keys),
        )
    return row


def list_watch(conn: Conn, city_id: str | None, after: list[Any] | None, limit: int) -> list[dict[str, Any]]:
    """Watchlist entries oldest first, optionally of one city (keyset page)."""
    where: list[str] = ["true"]
    params: dict[str, Any] = {"n": limit + 1}
    add_where(where, params, "city_id = %(city_id)s", city_id=city_id)
    if after:
        add_where(where, params, "(created_at, id) > (%(a_at)s, %(a_id)s)", a_at=after[0], a_id=after[1])
    return conn.execute(
        f"SELECT {WATCH_COLS} FROM watchlist WHERE {' AND '.join(where)} ORDER BY created_at, id LIMIT %(n)s", params
    ).fetchall()


def watch_visible(conn: Conn, watch_id: str, city_id: str | None) -> bool:
    """Whether the watchlist entry exists (and, city_id given, belongs to that city)."""
    row = conn.execute(
        "SELECT 1 FROM watchlist WHERE id = %(id)s AND (%(city)s::uuid IS NULL OR city_id = %(city)s)",
        {"id": watch_id, "city": city_id},
    ).fetchone()
    return row is not None


def delete_watch(conn: Conn, watch_id: str, city_id: str | None) -> bool:
    """Delete a watchlist entry (of `city_id` when given); whether one was deleted."""
    if city_id is None:
        return conn.execute("DELETE FROM watchlist WHERE id = %s", (watch_id,)).rowcount == 1
    return conn.execute("DELETE FROM watchlist WHERE id = %s AND city_id = %s", (watch_id, city_id)).rowcount == 1


# ---------------------------------------------------------------------------------- SNS


def publish_alert(message: dict[str, Any]) -> None:
    """Publish an alert to the alerts SNS topic (kind and city as message attributes)."""
    aws.client("sns").publish(
        TopicArn=get_settings().alerts_topic_arn,
        Message=json.dumps(message, ensure_ascii=False, default=str),
        Subject=f"GT-Vision alert: {message['kind']}",
        MessageAttributes={
            "kind": {"DataType": "String", "StringValue": str(message["kind"])},
            "city_id": {"DataType": "String", "StringValue": str(message["city_id"])},
        },
    )


# ---------------------------------------------------------------------------------- ops alerts


def record_ops_alert(
    conn: Conn, dedup_key: str, started_at: datetime, detail: dict[str, Any], resolved_at: datetime | None
) -> dict[str, Any] | None:
    """Open (or, already resolved, record) the ops alert of one firing episode, or resolve the open one.

    Returns the row when it changed: None for a repeat of what is stored (Alertmanager resends while firing).
    """
    return conn.execute(
        "INSERT INTO alerts (city_id, kind, captured_at, dedup_key, detail, resolved_at)"
        " VALUES (NULL, 'ops', %(at)s, %(key)s, %(detail)s, %(resolved_at)s)"
        " ON CONFLICT (kind, dedup_key) DO UPDATE SET resolved_at = EXCLUDED.resolved_at"
        " WHERE alerts.resolved_at IS NULL AND EXCLUDED.resolved_at IS NOT NULL"
        f" RETURNING {ALERT_COLS}",
        {"at": started_at, "key": dedup_key, "detail": Jsonb(detail), "resolved_at": resolved_at},
    ).fetchone()
