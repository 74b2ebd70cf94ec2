"""SQL of watchlists and alerts: the alert rules' inputs (new reads against watchlists, clone pairs),
alerts and watchlist entries, and publishing an alert to SNS."""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from psycopg.types.json import Jsonb

from gtvision.alerts.schemas import Alert, ClonePair, NewAlert, WatchEntry, WatchHit
from gtvision.core import aws
from gtvision.core.db import Conn
from gtvision.core.geo import EARTH_RADIUS_KM
from gtvision.core.jsonutil import JsonObject
from gtvision.core.rows import rowtype
from gtvision.core.settings import get_settings
from gtvision.core.sql import NamedParams, add_where, columns, fetch_all, fetch_one

# ---------------------------------------------------------------------------------- alerts' inputs


#: What the rules read of each new read.
NEW_READ_COLUMNS = ("id", "city_id", "plate", "plate_keys", "camera_id", "captured_at", "confidence")
_RELATION = re.compile(r"[a-z_][a-z0-9_]*")


@rowtype(slots=False)
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
        # Implied by the join, but it lets the planner read the batch's cities' keys once (a hash join) rather
        # than probe the index once per key of every read: 18 ms → 4 ms for 1,000 reads (docs/benchmarks.md).
        " AND wk.city_id = ANY(ARRAY(SELECT DISTINCT city_id FROM n))"
        f" JOIN watchlist w ON w.id = wk.watchlist_id AND {live}",
        new.params(),
    )


def clone_pairs(conn: Conn, new: NewReads, window_s: int, max_kmh: float, min_km: float) -> list[ClonePair]:
    """Each new read with the same plate's reads in its city within ±window at another located camera, when the
    trip between them looks impossible (farther than `min_km`, faster than `max_kmh`).

    One (city_id, plate, captured_at) range probe per new read (LATERAL … OFFSET 0 keeps the planner
    from turning it into a hash join over the whole table). The distance test here is a prefilter: it keeps
    every pair `geo.is_impossible` would flag (its bounds are loosened by a millionth against rounding) and
    drops the plausible trips, most of the pairs, before they cross the wire; the caller applies the exact rule.
    """
    lat1, lat2, dlat, dlon = (
        "radians(cn.lat)",
        "radians(co.lat)",
        "radians(co.lat - cn.lat)",
        "radians(co.lon - cn.lon)",
    )
    km = (
        f"(2 * {EARTH_RADIUS_KM} * asin(sqrt(least(1.0, greatest(0.0,"
        f" sin({dlat} / 2) ^ 2 + cos({lat1}) * cos({lat2}) * sin({dlon} / 2) ^ 2)))))"
    )
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
        " WHERE cn.lat IS NOT NULL AND cn.lon IS NOT NULL AND co.lat IS NOT NULL AND co.lon IS NOT NULL"
        f" AND {km} > %(min_km)s * 0.999999"
        f" AND {km} * 3600 > %(max_kmh)s * 0.999999 * abs(extract(epoch FROM n.captured_at - o.captured_at))",
        {**new.params(), "w": window_s, "min_km": min_km, "max_kmh": max_kmh},
    )


# ---------------------------------------------------------------------------------- alerts

#: Every column of an alert (other features' SQL that returns alerts selects these too).
ALERT_COLS = columns(Alert)
_NEW_FIELDS = ("city_id", "kind", "plate", "camera_id", "captured_at", "read_ids", "watchlist_id", "dedup_key")


def insert_alerts(conn: Conn, alerts: Sequence[NewAlert]) -> list[Alert]:
    """Insert in one statement, skipping any whose (kind, dedup_key) exists; returns the new rows. Alerts with a
    subject are deduplicated per change instead (`insert_change`).

    The rows travel as one array per column (`unnest`): the statement's text is the same for any number of
    alerts, so it is parsed and planned once per connection, where a VALUES list of thousands of placeholders
    was split by the driver on every call (a third of a large batch's alert cost)."""
    created: list[Alert] = [row for a in alerts if a.subject is not None and (row := insert_change(conn, a))]
    keyed = [a for a in alerts if a.subject is None]
    if not keyed:
        return created

    def uuids(values: Sequence[Any]) -> list[str | None]:
        return [None if v is None else str(v) for v in values]

    columns_ = {
        "city_id": uuids([a.city_id for a in keyed]),
        "kind": [a.kind for a in keyed],
        "plate": [a.plate for a in keyed],
        "camera_id": uuids([a.camera_id for a in keyed]),
        "captured_at": [a.captured_at for a in keyed],
        "read_ids": ["{" + ",".join(str(i) for i in a.read_ids) + "}" for a in keyed],  # uuid[] of each row
        "watchlist_id": uuids([a.watchlist_id for a in keyed]),
        "dedup_key": [a.dedup_key for a in keyed],
        "detail": [Jsonb(a.detail) for a in keyed],
    }
    return created + fetch_all(
        conn,
        Alert,
        f"INSERT INTO alerts ({', '.join(_NEW_FIELDS)}, detail)"
        " SELECT city_id, kind, plate, camera_id, captured_at, read_ids::uuid[], watchlist_id, dedup_key, detail"
        " FROM unnest(%(city_id)s::uuid[], %(kind)s::text[], %(plate)s::text[], %(camera_id)s::uuid[],"
        " %(captured_at)s::timestamptz[], %(read_ids)s::text[], %(watchlist_id)s::uuid[], %(dedup_key)s::text[],"
        " %(detail)s::jsonb[])"
        " AS t(city_id, kind, plate, camera_id, captured_at, read_ids, watchlist_id, dedup_key, detail)"
        f" ON CONFLICT (kind, dedup_key) DO NOTHING RETURNING {ALERT_COLS}",
        columns_,
    )


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


@rowtype(slots=False)
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


def _sns_entry(message: JsonObject) -> dict[str, Any]:
    return {
        "Message": json.dumps(message, ensure_ascii=False, default=str),
        "Subject": f"GT-Vision alert: {message['kind']}",
        "MessageAttributes": {
            "kind": {"DataType": "String", "StringValue": str(message["kind"])},
            "city_id": {"DataType": "String", "StringValue": str(message["city_id"])},
        },
    }


#: SNS PublishBatch's limit of entries per call.
SNS_BATCH = 10


def publish_alerts(messages: Sequence[JsonObject]) -> dict[int, str]:
    """Publish alerts to the alerts SNS topic (kind and city as message attributes), ten per PublishBatch call
    (a batch ingest raises hundreds: one call each was a round trip each). Returns the indexes that were not
    published, with why; a call that fails whole fails its ten."""
    failed: dict[int, str] = {}
    sns, topic = aws.client("sns"), get_settings().alerts_topic_arn
    for start in range(0, len(messages), SNS_BATCH):
        chunk = messages[start : start + SNS_BATCH]
        try:
            reply = sns.publish_batch(
                TopicArn=topic,
                PublishBatchRequestEntries=[{"Id": str(i), **_sns_entry(m)} for i, m in enumerate(chunk)],
            )
        except Exception as exc:  # noqa: BLE001 - reported per alert; the caller logs and counts
            failed.update({start + i: f"{type(exc).__name__}: {exc}" for i in range(len(chunk))})
            continue
        for entry in reply.get("Failed") or []:
            failed[start + int(entry["Id"])] = str(entry.get("Message") or entry.get("Code") or "failed")
    return failed


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
