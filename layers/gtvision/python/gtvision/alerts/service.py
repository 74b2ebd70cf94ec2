"""Watchlists and alerts: a new read that hits a city's watchlist, or that implies an impossible
trip from another read of the same plate (a cloned plate), raises one alert, stored and published.

``evaluate`` is set-based (one query per rule for any number of new reads), so the webhook calls it
inline for its one read and batch ingest for thousands; both rules are index lookups.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from gtvision.alerts import redaction
from gtvision.alerts import store as dal
from gtvision.alerts.schemas import Alert, NewAlert, WatchEntry
from gtvision.core import db, geo, pagination
from gtvision.core.db import Conn
from gtvision.core.errors import Conflict, Invalid, not_found
from gtvision.core.ids import is_uuid, query_uuid
from gtvision.core.jsonutil import JsonObject
from gtvision.core.observability import logger, metrics
from gtvision.core.principal import Principal
from gtvision.core.settings import get_settings
from gtvision.live import publish as events
from gtvision.lpr import plates
from gtvision.tenancy.authz import camera_filter, in_callers_city

if TYPE_CHECKING:  # the API's models, imported where an answer is built (ADR 0029)
    from gtvision.alerts.api_schemas import AlertOut, AlertPatch, AlertsQuery, WatchIn, WatchlistQuery, WatchOut

#: The city a platform-wide live event (an ops alert's) is addressed to: no city has it, so only admins get it.
NO_CITY = "00000000-0000-0000-0000-000000000000"


def scope_city(principal: Principal, city_id: str | None) -> str | None:
    """The city a list is limited to: the caller's own, or for admins the one asked (None = all).

    A non-admin asking for another city gets the same 404 as for an unknown one.
    """
    city_id = query_uuid(city_id, "city_id")
    if principal.is_admin:
        return city_id
    if city_id and city_id != principal.city_id:
        raise not_found("cidade")
    return principal.city_id


# ------------------------------------------------------------------------------------ evaluation


def evaluate(conn: Conn, read_ids: list[Any]) -> list[Alert]:
    """Raise the alerts of newly stored reads inside the caller's transaction; returns the new alerts
    (duplicates — a redelivered read, the other side of a clone pair — are skipped)."""
    return _evaluate(conn, dal.NewReads(ids=read_ids)) if read_ids else []


def evaluate_batch(conn: Conn, relation: str) -> list[Alert]:
    """`evaluate` for a batch whose new reads the caller keeps in a temporary table of its transaction
    (`relation`, with `alerts.store.NEW_READ_COLUMNS`): the rules read them there."""
    return _evaluate(conn, dal.NewReads(relation=relation))


#: What a batch's table of new reads must hold (alerts read these columns of it).
NEW_READ_COLUMNS = dal.NEW_READ_COLUMNS


def _evaluate(conn: Conn, new: dal.NewReads) -> list[Alert]:
    settings = get_settings()
    pending: dict[str, NewAlert] = {}  # by dedup key: both sides of a pair in one batch count once
    for hit in dal.watchlist_hits(conn, new):
        key = f"{hit.watchlist_id}:{hit.read_id}"
        kind = "hotlist" if hit.agreement_id else "watchlist"  # an agreement's entry: a partner's hotlist
        pending[f"{kind}/{key}"] = NewAlert(
            city_id=hit.city_id,
            kind=kind,
            plate=hit.plate,
            camera_id=hit.camera_id,
            captured_at=hit.captured_at,
            read_ids=[hit.read_id],
            watchlist_id=hit.watchlist_id,
            dedup_key=key,
            detail={
                "reason": hit.reason,
                "watch_plate": hit.watch_plate,
                "match": "exact" if hit.watch_plate == hit.plate else "fuzzy",
                "confidence": hit.confidence,
                **({"agreement_id": str(hit.agreement_id), "source_ref": hit.source_ref} if hit.agreement_id else {}),
            },
        )
    for pair in dal.clone_pairs(conn, new, settings.lpr_clone_window_s, settings.lpr_clone_max_kmh, geo.MIN_ALARM_KM):
        km = geo.haversine_km(pair.lat, pair.lon, pair.other_lat, pair.other_lon)
        seconds = (pair.captured_at - pair.other_captured_at).total_seconds()
        if not geo.is_impossible(km, seconds, settings.lpr_clone_max_kmh):
            continue
        first, second = sorted(
            [
                (pair.other_captured_at, pair.other_id, pair.other_camera_id),
                (pair.captured_at, pair.read_id, pair.camera_id),
            ]
        )
        speed = geo.speed_kmh(km, seconds)
        key = f"{first[1]}:{second[1]}"
        pending[f"clone_suspect/{key}"] = NewAlert(
            city_id=pair.city_id,
            kind="clone_suspect",
            plate=pair.plate,
            camera_id=second[2],
            captured_at=second[0],
            read_ids=[first[1], second[1]],
            dedup_key=key,
            detail={
                "distance_km": round(km, 3),
                "seconds": abs(seconds),
                "speed_kmh": None if speed is None or speed == float("inf") else round(speed, 1),
                "max_kmh": settings.lpr_clone_max_kmh,
                "camera_ids": [str(first[2]), str(second[2])],
            },
        )
    return dal.insert_alerts(conn, list(pending.values()))


def raise_alerts(conn: Conn, alerts: Sequence[NewAlert]) -> list[Alert]:
    """Store alerts inside the caller's transaction, once per (kind, dedup_key); returns the new ones, which
    the caller hands to `publish` after its commit."""
    return dal.insert_alerts(conn, alerts)


def redact(detail: JsonObject, role: str | None) -> JsonObject:
    """An alert's detail as `role` may read it: viewers (who may not list the watchlist) without the
    watchlist entry's reason and plate. REST and live events use this same rule (`alerts.redaction`)."""
    return redaction.redact(detail, role)


def public(row: Alert, principal: Principal | None = None, *, trusted: bool = False) -> AlertOut:
    """The alert as the API shows it to `principal` (everything, when nobody in particular). `trusted`: built
    without validation — a row just written by this transaction, published in hundreds by a batch (validating
    each one's `detail` cost more than the rest of its publishing)."""
    from gtvision.alerts.api_schemas import AlertOut

    return (AlertOut.model_construct if trusted else AlertOut)(
        id=str(row.id),
        kind=row.kind,
        plate=row.plate,
        camera_id=str(row.camera_id) if row.camera_id else None,
        captured_at=row.captured_at,
        read_ids=[str(i) for i in row.read_ids],
        created_at=row.created_at,
        city_id=str(row.city_id) if row.city_id else None,  # ops alerts belong to no city
        status=row.status,
        priority=row.priority,
        watchlist_id=str(row.watchlist_id) if row.watchlist_id else None,
        detail=redact(row.detail or {}, principal.role if principal else None),
        resolved_at=row.resolved_at,
        acknowledged_by=str(row.acknowledged_by) if row.acknowledged_by else None,
        acknowledged_by_name=row.acknowledged_by_name,
        acknowledged_at=row.acknowledged_at,
        closed_by=str(row.closed_by) if row.closed_by else None,
        closed_by_name=row.closed_by_name,
        closed_at=row.closed_at,
        note=row.note,
        updated_at=row.updated_at,
    )


def _typed(row: Alert | Mapping[str, Any]) -> Alert:
    return row if isinstance(row, Alert) else Alert(**{k: row[k] for k in Alert.__dataclass_fields__})


def publish(created: Sequence[Alert | Mapping[str, Any]]) -> None:
    """Publish committed alerts to the alerts topic and as live events: a new alert is an `alert` event, a
    health incident that resolved itself an `alert.updated` one. Both go out in batches of ten (a batch ingest
    raises hundreds). The table is the source of truth: a failed publish is logged and counted, never undoes
    the alert."""
    rows = list(map(_typed, created))
    if not rows:
        return
    messages = [public(row, trusted=True).model_dump(mode="python", by_alias=True) for row in rows]
    failed = dal.publish_alerts(messages)
    raised: dict[str, int] = {}  # counted once per kind
    for i, row in enumerate(rows):
        if i in failed:
            logger.error(
                "alert not published", extra={"alert_id": messages[i]["id"], "kind": row.kind, "reason": failed[i]}
            )
            metrics.add_metric(name="LprAlertPublishFailed", unit="Count", value=1)
        elif row.resolved_at is None:  # resolutions of health incidents are published, not counted
            raised[row.kind] = raised.get(row.kind, 0) + 1
    for kind, count in raised.items():
        metrics.add_metric(name=f"LprAlert_{kind}", unit="Count", value=count)
    if raised:
        metrics.add_metric(name="AlertsRaised", unit="Count", value=sum(raised.values()))
    # live events (never raise)
    events.publish_many(
        [
            (m["city_id"] or NO_CITY, "alert" if row.resolved_at is None else "alert.updated", m)
            for row, m in zip(rows, messages, strict=True)
        ]
    )


# ------------------------------------------------------------------------------------ API


def visible(principal: Principal, alert_id: str) -> Alert:
    """The alert if the caller's city owns it (admins: any) and, for a user restricted to camera groups, its
    camera is one of theirs (an alert of no camera is not); 404 otherwise."""
    with db.transaction() as conn:
        alert = in_callers_city(conn, principal, dal.get_alert, alert_id, "alerta")
    restricted = principal.camera_ids is not None
    if restricted and (alert.camera_id is None or not principal.can_see_camera(str(alert.camera_id))):
        raise not_found("alerta")
    return alert


def list_alerts(principal: Principal, query: AlertsQuery) -> tuple[list[AlertOut], str | None]:
    """Alerts newest first, city scoped (admins: all cities or the one asked), filtered by status, priority,
    kind and camera; `open=true`: the alerts still to handle (neither resolved nor closed)."""
    from gtvision.tenancy import cameras  # the API's: the workers raising alerts never read cameras here

    city = scope_city(principal, query.city_id)
    if query.camera_id is not None:
        cameras.visible(principal, query.camera_id)
    flt = dal.AlertFilter(
        city_id=city,
        since=query.since,
        kind=query.kind,
        status=query.status,
        priority=query.priority,
        camera_id=query.camera_id,
        active=bool(query.open),
        only_cameras=camera_filter(principal),
    )
    with db.transaction() as conn:
        rows = dal.list_alerts(conn, flt, pagination.decode_keyset(query.cursor), query.limit)
    items, nxt = pagination.page(rows, query.limit, ("created_at", "id"))
    return [public(r, principal) for r in items], nxt


def handle(principal: Principal, alert: Alert, data: AlertPatch) -> AlertOut:
    """An operator (or above) acknowledges, closes (saying what was done: a note) or reopens an alert of their
    city. Every change is an `alert.updated` live event; asking for the state it already has changes nothing.
    Reads cited by an acknowledged alert are kept by retention (not anonymised) until it is closed."""
    if data.target == "closed" and not data.note:
        raise Invalid("note_required", "para encerrar o alerta, descreva o que foi feito (note)")
    user = principal.user_id if is_uuid(principal.user_id) else None
    with db.transaction() as conn:
        row = dal.handle(conn, str(alert.id), data.target, data.note, user, principal.username)
    if row is None:  # already so: nothing to announce
        return public(alert, principal)
    out = public(row, principal)
    events.publish(out.city_id or NO_CITY, "alert.updated", public(row).model_dump(mode="python", by_alias=True))
    return out


def _watch_public(row: WatchEntry) -> WatchOut:
    from gtvision.alerts.api_schemas import WatchOut

    return WatchOut(
        id=str(row.id),
        city_id=str(row.city_id),
        plate=row.plate,
        reason=row.reason,
        fuzzy=row.fuzzy,
        created_by=str(row.created_by) if row.created_by else None,
        created_at=row.created_at,
        agreement_id=str(row.agreement_id) if row.agreement_id else None,  # a partner's hotlist entry
        source_ref=row.source_ref,
        expires_at=row.expires_at,
    )


def add_watch(principal: Principal, data: WatchIn) -> WatchOut:
    """Put a plate on the city's watchlist (managers of the city, admins for any city)."""
    from gtvision.tenancy import cities  # the API's: the workers raising alerts never read cities here

    city_id = scope_city(principal, data.city_id)
    if city_id is None:
        raise Invalid("city_required", "informe city_id")
    try:
        plate = plates.normalize_plate(data.plate)
    except ValueError as exc:
        raise Invalid("invalid_plate", str(exc)) from None
    with db.transaction() as conn:
        if not cities.exists(city_id):
            raise not_found("cidade")
        row = dal.insert_watch(
            conn,
            {
                "city_id": city_id,
                "plate": plate,
                "reason": data.reason,
                "fuzzy": data.fuzzy,
                "created_by": principal.user_id,
            },
            plates.fuzzy_keys(plate) if data.fuzzy else [],
        )
    if row is None:
        raise Conflict("already_watched", "placa já está na lista de monitoramento da cidade")
    return _watch_public(row)


def list_watch(principal: Principal, query: WatchlistQuery) -> tuple[list[WatchOut], str | None]:
    """Watchlist entries of the caller's city (admins: all cities or the one asked), oldest first."""
    city = scope_city(principal, query.city_id)
    with db.transaction() as conn:
        rows = dal.list_watch(conn, city, pagination.decode_keyset(query.cursor), query.limit)
    items, nxt = pagination.page(rows, query.limit, ("created_at", "id"))
    return [_watch_public(r) for r in items], nxt


def visible_watch(principal: Principal, watch_id: str) -> WatchEntry:
    """The watchlist entry if the caller's city owns it (admins: any); 404 otherwise."""
    with db.transaction() as conn:
        return in_callers_city(conn, principal, dal.get_watch, watch_id, "item da lista")


def remove_watch(entry: WatchEntry) -> None:
    """Remove an entry of a city's watchlist."""
    with db.transaction() as conn:
        if not dal.delete_watch(conn, str(entry.id)):
            raise not_found("item da lista")
