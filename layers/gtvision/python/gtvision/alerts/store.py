"""SQL of watchlists and alerts: the alert rules' inputs (new reads against watchlists, clone pairs),
alerts and watchlist entries, and publishing an alert to SNS."""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from psycopg.types.json import Jsonb

from gtvision.alerts.schemas import Alert, ClonePair, NewAlert, WatchEntry, WatchHit
from gtvision.core import aws
from gtvision.core.db import Conn
from gtvision.core.jsonutil import JsonObject
from gtvision.core.settings import get_settings
from gtvision.core.sql import NamedParams, add_where, columns, fetch_all, fetch_one

# ---------------------------------------------------------------------------------- alerts' inputs


#: What the rules read of each new read.
NEW_READ_COLUMNS = ("id", "city_id", "plate", "plate_keys", "camera_id", "captured_at", "confidence")
_RELATION = re.compile(r"[a-z_][a-z0-9_]*")


@dataclass(frozen=True)
class NewReads:
    """The reads the rules evaluate: stored reads by id (a few: the webhook), or a relation of the caller's
    transaction with NEW_READ_COLUMNS (a batch ingest's temporary table of what it just inserted).

    By id, the reads are materialised once from an unnested id list; a batch's own table avoids going back to
    the 10 M-row table for data the caller already had (with thousands of ids the planner may choose a hash
    join that reads all of `plate_reads`)."""

    ids: list[Any] | None = None
    relation: str | None = None

    def cte(self) -> str:
        cols = ", ".join(NEW_READ_COLUMNS)
        if self.relation is not None:
            if not _RELATION.fullmatch(self.relation):
                raise ValueError(f"not a relation name: {self.relation!r}")
            return f"WITH n AS (SELECT {cols} FROM {self.relation}) "
        r_cols = ", ".join(f"r.{c}" for c in NEW_READ_COLUMNS)
        ids = "unnest(%(ids)s::uuid[]) AS i(id)"
        return f"WITH n AS MATERIALIZED (SELECT {r_cols} FROM {ids} JOIN plate_reads r ON r.id = i.id) "

    def params(self) -> NamedParams:
        return {"ids": list(self.ids or [])} if self.relation is None else {}


def watchlist_hits(conn: Conn, new: NewReads) -> list[WatchHit]:
    """(read, watchlist entry) pairs: same plate, or a shared wildcard key when the entry is fuzzy.

    Both sides are equality joins (plate; read key = entry key in watchlist_keys), so a batch of
    reads costs one hash or index join whatever the size of the list.
    """
    cols = (
        "n.id AS read_id, n.city_id, n.plate, n.camera_id, n.captured_at, n.confidence,"
        " w.id AS watchlist_id, w.plate AS watch_plate, w.reason, w.fuzzy, w.agreement_id, w.source_ref"
    )
    live = "(w.expires_at IS NULL OR w.expires_at > now())"  # an expired (hotlist) entry stops matching at once
    return fetch_all(
        conn,
        WatchHit,
        new.cte() + f"SELECT {cols} FROM n JOIN watchlist w ON w.city_id = n.city_id AND w.plate = n.plate"
        f" AND {live} UNION SELECT {cols} FROM n CROSS JOIN unnest(n.plate_keys) AS k(key)"
        " JOIN watchlist_keys wk ON wk.city_id = n.city_id AND wk.key = k.key"
        f" JOIN watchlist w ON w.id = wk.watchlist_id AND {live}",
        new.params(),
    )


def clone_pairs(conn: Conn, new: NewReads, window_s: int) -> list[ClonePair]:
    """Each new read with the same plate's reads in its city within ±window at another located camera.

    One (city_id, plate, captured_at) range probe per new read (LATERAL … OFFSET 0 keeps the planner
    from turning it into a hash join over the whole table).
    """
    return fetch_all(
        conn,
        ClonePair,
        new.cte() + "SELECT n.id AS read_id, n.city_id, n.plate, n.camera_id, n.captured_at, cn.lat, cn.lon,"
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
        {**new.params(), "w": window_s},
    )


# ---------------------------------------------------------------------------------- alerts

#: Every column of an alert (other features' SQL that returns alerts selects these too).
ALERT_COLS = columns(Alert)
_NEW_FIELDS = ("city_id", "kind", "plate", "camera_id", "captured_at", "read_ids", "watchlist_id", "dedup_key")


def insert_alerts(conn: Conn, alerts: Sequence[NewAlert]) -> list[Alert]:
    """Insert, 500 rows a statement, skipping any whose (kind, dedup_key) exists; returns the new rows. Alerts
    with a subject are deduplicated per change instead (`insert_change`)."""
    row_sql = "(%s, %s, %s, %s, %s, %s::uuid[], %s, %s, %s)"
    created: list[Alert] = [row for a in alerts if a.subject is not None and (row := insert_change(conn, a))]
    keyed = [a for a in alerts if a.subject is None]
    for start in range(0, len(keyed), 500):
        chunk = keyed[start : start + 500]
        params: list[Any] = []
        for a in chunk:
            params += [getattr(a, f) for f in _NEW_FIELDS] + [Jsonb(a.detail)]
        created += fetch_all(
            conn,
            Alert,
            f"INSERT INTO alerts ({', '.join(_NEW_FIELDS)}, detail) VALUES {', '.join([row_sql] * len(chunk))}"
            f" ON CONFLICT (kind, dedup_key) DO NOTHING RETURNING {ALERT_COLS}",
            params,
        )
    return created


def insert_change(conn: Conn, alert: NewAlert) -> Alert | None:
    """An alert raised once per change of its subject: None when the latest alert of the same kind and subject
    has the same dedup key (the same change delivered again). Serialised per subject (advisory lock)."""
    conn.execute("SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))", (f"alert:{alert.kind}:{alert.subject}",))
    latest = conn.execute(
        "SELECT dedup_key FROM alerts WHERE kind = %s AND subject = %s ORDER BY created_at DESC, id DESC LIMIT 1",
        (alert.kind, alert.subject),
    ).fetchone()
    if latest is not None and str(latest["dedup_key"]).rsplit("#", 1)[0] == alert.dedup_key:
        return None
    return fetch_one(
        conn,
        Alert,
        f"INSERT INTO alerts ({', '.join(_NEW_FIELDS)}, detail, subject)"
        " VALUES (%s, %s, %s, %s, %s, %s::uuid[], %s, %s, %s, %s)"
        f" ON CONFLICT (kind, dedup_key) DO NOTHING RETURNING {ALERT_COLS}",
        [getattr(alert, f) for f in _NEW_FIELDS[:-1]]
        + [f"{alert.dedup_key}#{uuid.uuid4().hex}", Jsonb(alert.detail), alert.subject],
    )


@dataclass(frozen=True)
class AlertFilter:
    """Which alerts a list shows: a city (None: every city, admins), and the console's filters."""

    city_id: str | None = None
    since: datetime | None = None
    kind: str | None = None
    status: str | None = None
    priority: str | None = None
    camera_id: str | None = None
    #: Only alerts still to handle: neither resolved (health) nor closed.
    active: bool = False
    #: Only these cameras' alerts (a user restricted to camera groups: `tenancy.authz.camera_filter`); an alert
    #: of no camera is then left out too.
    only_cameras: list[str] | None = None


def list_alerts(conn: Conn, flt: AlertFilter, after: list[Any] | None, limit: int) -> list[Alert]:
    """Alerts newest first (keyset page)."""
    where: list[str] = ["resolved_at IS NULL AND status <> 'closed'"] if flt.active else ["true"]
    params: NamedParams = {"n": limit + 1}
    add_where(where, params, "city_id = %(city_id)s", city_id=flt.city_id)
    add_where(where, params, "created_at >= %(since)s", since=flt.since)
    add_where(where, params, "kind = %(kind)s", kind=flt.kind)
    add_where(where, params, "status = %(status)s", status=flt.status)
    add_where(where, params, "priority = %(priority)s", priority=flt.priority)
    add_where(where, params, "camera_id = %(camera_id)s", camera_id=flt.camera_id)
    if flt.only_cameras is not None:  # not add_where: no camera at all ([]) must list nothing
        where.append("camera_id = ANY(%(only_cameras)s::uuid[])")
        params["only_cameras"] = flt.only_cameras
    if after:
        add_where(where, params, "(created_at, id) < (%(a_at)s, %(a_id)s)", a_at=after[0], a_id=after[1])
    return fetch_all(
        conn,
        Alert,
        f"SELECT {ALERT_COLS} FROM alerts WHERE {' AND '.join(where)} ORDER BY created_at DESC, id DESC LIMIT %(n)s",
        params,
    )


def handle(
    conn: Conn, alert_id: str, status: str, note: str | None, user_id: str | None, username: str
) -> Alert | None:
    """Move an alert to `status` (and set its note) as `user_id`; None when nothing changes (already so).

    Acknowledging records who and when (once); closing records who closed and when; opening again clears
    both. Concurrent operators: the first change wins, the second sees it already done.
    """
    return fetch_one(
        conn,
        Alert,
        "UPDATE alerts SET status = %(status)s, note = coalesce(%(note)s, note), updated_at = now(),"
        " acknowledged_by = CASE WHEN %(status)s = 'open' THEN NULL"
        "   WHEN %(status)s = 'acknowledged' AND acknowledged_at IS NULL THEN %(user)s::uuid ELSE acknowledged_by END,"
        " acknowledged_by_name = CASE WHEN %(status)s = 'open' THEN NULL"
        "   WHEN %(status)s = 'acknowledged' AND acknowledged_at IS NULL THEN %(name)s ELSE acknowledged_by_name END,"
        " acknowledged_at = CASE WHEN %(status)s = 'open' THEN NULL"
        "   WHEN %(status)s = 'acknowledged' AND acknowledged_at IS NULL THEN now() ELSE acknowledged_at END,"
        " closed_by = CASE WHEN %(status)s <> 'closed' THEN NULL WHEN status = 'closed' THEN closed_by"
        "   ELSE %(user)s::uuid END,"
        " closed_by_name = CASE WHEN %(status)s <> 'closed' THEN NULL WHEN status = 'closed' THEN closed_by_name"
        "   ELSE %(name)s END,"
        " closed_at = CASE WHEN %(status)s <> 'closed' THEN NULL WHEN status = 'closed' THEN closed_at ELSE now() END"
        " WHERE id = %(id)s"
        " AND (status <> %(status)s OR (%(note)s::text IS NOT NULL AND note IS DISTINCT FROM %(note)s))"
        f" RETURNING {ALERT_COLS}",
        {"status": status, "note": note, "user": user_id, "name": username, "id": alert_id},
    )


def get_alert(conn: Conn, alert_id: str, city_id: str | None) -> Alert | None:
    """The alert; None when missing or (city_id given) in another city."""
    return fetch_one(
        conn,
        Alert,
        f"SELECT {ALERT_COLS} FROM alerts WHERE id = %(id)s AND (%(city)s::uuid IS NULL OR city_id = %(city)s)",
        {"id": alert_id, "city": city_id},
    )


# ---------------------------------------------------------------------------------- watchlist

WATCH_COLS = columns(WatchEntry)


def insert_watch(conn: Conn, values: Mapping[str, Any], keys: list[str]) -> WatchEntry | None:
    """The new entry (with its fuzzy `keys` indexed), or None when the plate is already on the city's list."""
    row = fetch_one(
        conn,
        WatchEntry,
        "INSERT INTO watchlist (city_id, plate, reason, fuzzy, created_by)"
        " VALUES (%(city_id)s, %(plate)s, %(reason)s, %(fuzzy)s, %(created_by)s)"
        f" ON CONFLICT (city_id, plate) WHERE agreement_id IS NULL DO NOTHING RETURNING {WATCH_COLS}",
        values,
    )
    if row is not None and keys:
        conn.execute(
            "INSERT INTO watchlist_keys (city_id, key, watchlist_id) SELECT %s, k, %s FROM unnest(%s::text[]) k",
            (row.city_id, row.id, keys),
        )
    return row


def list_watch(conn: Conn, city_id: str | None, after: list[Any] | None, limit: int) -> list[WatchEntry]:
    """Watchlist entries oldest first, optionally of one city (keyset page)."""
    where: list[str] = ["true"]
    params: NamedParams = {"n": limit + 1}
    add_where(where, params, "city_id = %(city_id)s", city_id=city_id)
    if after:
        add_where(where, params, "(created_at, id) > (%(a_at)s, %(a_id)s)", a_at=after[0], a_id=after[1])
    return fetch_all(
        conn,
        WatchEntry,
        f"SELECT {WATCH_COLS} FROM watchlist WHERE {' AND '.join(where)} ORDER BY created_at, id LIMIT %(n)s",
        params,
    )


def get_watch(conn: Conn, watch_id: str, city_id: str | None) -> WatchEntry | None:
    """The watchlist entry; None when missing or (city_id given) in another city."""
    return fetch_one(
        conn,
        WatchEntry,
        f"SELECT {WATCH_COLS} FROM watchlist WHERE id = %(id)s AND (%(city)s::uuid IS NULL OR city_id = %(city)s)",
        {"id": watch_id, "city": city_id},
    )


def delete_watch(conn: Conn, watch_id: str) -> bool:
    """Delete a watchlist entry; whether one was deleted."""
    return conn.execute("DELETE FROM watchlist WHERE id = %s", (watch_id,)).rowcount == 1


# ---------------------------------------------------------------------------------- SNS


def publish_alert(message: JsonObject) -> None:
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
    conn: Conn, dedup_key: str, started_at: datetime, detail: JsonObject, resolved_at: datetime | None
) -> Alert | None:
    """Open (or, already resolved, record) the ops alert of one firing episode, or resolve the open one.

    Returns the row when it changed: None for a repeat of what is stored (Alertmanager resends while firing).
    """
    return fetch_one(
        conn,
        Alert,
        "INSERT INTO alerts (city_id, kind, captured_at, dedup_key, detail, resolved_at)"
        " VALUES (NULL, 'ops', %(at)s, %(key)s, %(detail)s, %(resolved_at)s)"
        " ON CONFLICT (kind, dedup_key) DO UPDATE SET resolved_at = EXCLUDED.resolved_at, updated_at = now()"
        " WHERE alerts.resolved_at IS NULL AND EXCLUDED.resolved_at IS NOT NULL"
        f" RETURNING {ALERT_COLS}",
        {"at": started_at, "key": dedup_key, "detail": Jsonb(detail), "resolved_at": resolved_at},
    )
