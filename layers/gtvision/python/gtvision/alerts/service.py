"""Watchlists and alerts: a new read that hits a city's watchlist, or that implies an impossible
trip from another read of the same plate (a cloned plate), raises one alert, stored and published.

``evaluate`` is set-based (one query per rule for any number of new reads), so the webhook calls it
inline for its one read and batch ingest for thousands; both rules are index lookups.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from gtvision.alerts import store as dal
from gtvision.alerts.schemas import AlertPatch, WatchIn
from gtvision.core import db, geo, pagination
from gtvision.core.db import Conn
from gtvision.core.errors import Conflict, Invalid, not_found
from gtvision.core.models import query_uuid
from gtvision.core.observability import logger, metrics
from gtvision.core.principal import Principal
from gtvision.core.settings import get_settings
from gtvision.live import publish as events
from gtvision.lpr import plates
from gtvision.tenancy import cities
from gtvision.tenancy.authz import in_callers_city

KINDS = ("watchlist", "hotlist", "clone_suspect", "recording_changed", "camera_offline", "recording_stalled", "ops")


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


def evaluate(conn: Conn, read_ids: list[Any]) -> list[dict[str, Any]]:
    """Raise the alerts of newly stored reads inside the caller's transaction; returns the new alerts
    (duplicates — a redelivered read, the other side of a clone pair — are skipped)."""
    if not read_ids:
        return []
    settings = get_settings()
    pending: dict[str, dict[str, Any]] = {}  # by dedup key: both sides of a pair in one batch count once
    for hit in dal.watchlist_hits(conn, read_ids):
        key = f"{hit['watchlist_id']}:{hit['read_id']}"
        kind = "hotlist" if hit["agreement_id"] else "watchlist"  # an agreement's entry: a partner's hotlist
        pending[f"{kind}/{key}"] = {
            "city_id": hit["city_id"],
            "kind": kind,
            "plate": hit["plate"],
            "camera_id": hit["camera_id"],
            "captured_at": hit["captured_at"],
            "read_ids": [hit["read_id"]],
            "watchlist_id": hit["watchlist_id"],
            "dedup_key": key,
            "detail": {
                "reason": hit["reason"],
                "watch_plate": hit["watch_plate"],
                "match": "exact" if hit["watch_plate"] == hit["plate"] else "fuzzy",
                "confidence": hit["confidence"],
                **(
                    {"agreement_id": str(hit["agreement_id"]), "source_ref": hit["source_ref"]}
                    if kind == "hotlist"
                    else {}
                ),
            },
        }
    for pair in dal.clone_pairs(conn, read_ids, settings.lpr_clone_window_s):
        km = geo.haversine_km(pair["lat"], pair["lon"], pair["other_lat"], pair["other_lon"])
        seconds = (pair["captured_at"] - pair["other_captured_at"]).total_seconds()
        if not geo.is_impossible(km, seconds, settings.lpr_clone_max_kmh):
            continue
        first, second = sorted(
            [
                (pair["other_captured_at"], pair["other_id"], pair["other_camera_id"]),
                (pair["captured_at"], pair["read_id"], pair["camera_id"]),
            ]
        )
        speed = geo.speed_kmh(km, seconds)
        key = f"{first[1]}:{second[1]}"
        pending[f"clone_suspect/{key}"] = {
            "city_id": pair["city_id"],
            "kind": "clone_suspect",
            "plate": pair["plate"],
            "camera_id": second[2],
            "captured_at": second[0],
            "read_ids": [first[1], second[1]],
            "watchlist_id": None,
            "dedup_key": key,
            "detail": {
                "distance_km": round(km, 3),
                "seconds": abs(seconds),
                "speed_kmh": None if speed is None or speed == float("inf") else round(speed, 1),
                "max_kmh": settings.lpr_clone_max_kmh,
                "camera_ids": [str(first[2]), str(second[2])],
            },
        }
    return dal.insert_alerts(conn, list(pending.values()))


#: What of a watchlist entry an alert's detail repeats; only those who may list the watchlist read it.
WATCHLIST_DETAIL = ("reason", "watch_plate")


def to_public(row: dict[str, Any], principal: Principal | None = None) -> dict[str, Any]:
    """The alert as the API shows it; for a viewer (who may not list the watchlist) without the watchlist
    entry's reason and plate."""
    detail = row["detail"]
    if principal is not None and principal.role == "viewer" and isinstance(detail, dict):
        detail = {k: v for k, v in detail.items() if k not in WATCHLIST_DETAIL}
    return {
        "id": str(row["id"]),
        "kind": row["kind"],
        "plate": row["plate"],
        "camera_id": str(row["camera_id"]) if row["camera_id"] else None,
        "captured_at": row["captured_at"],
        "read_ids": [str(i) for i in row["read_ids"]],
        "created_at": row["created_at"],
        "city_id": str(row["city_id"]) if row["city_id"] else None,  # ops alerts belong to no city
        "status": row["status"],
        "watchlist_id": str(row["watchlist_id"]) if row["watchlist_id"] else None,
        "detail": detail,
        "resolved_at": row.get("resolved_at"),
    }


def publish(created: list[dict[str, Any]]) -> None:
    """Publish committed alerts to the alerts topic and as live events. The table is the source of
    truth: a failed publish is logged and counted, never undoes the alert."""
    for row in created:
        message = to_public(row)
        try:
            dal.publish_alert(message)
            if row.get("resolved_at") is None:  # resolutions of health incidents are published, not counted
                metrics.add_metric(name=f"LprAlert_{row['kind']}", unit="Count", value=1)
                metrics.add_metric(name="AlertsRaised", unit="Count", value=1)
        except Exception:  # noqa: BLE001 - the alert is stored and listed at /v1/alerts either way
            logger.exception("alert not published", extra={"alert_id": message["id"], "kind": row["kind"]})
            metrics.add_metric(name="LprAlertPublishFailed", unit="Count", value=1)
        events.publish(message["city_id"], "alert", message)  # live event (never raises)


# ------------------------------------------------------------------------------------ API


def list_alerts(
    principal: Principal,
    city_id: str | None,
    since: datetime | None,
    kind: str | None,
    limit: int,
    cursor: str | None,
    open_only: bool = False,
) -> tuple[list[dict[str, Any]], str | None]:
    """Alerts newest first, city scoped (admins: all cities or the one asked); `open_only`: unresolved."""
    city = scope_city(principal, city_id)
    if kind is not None and kind not in KINDS:
        raise Invalid("invalid_kind", f"kind deve ser um de: {', '.join(KINDS)}")
    with db.transaction() as conn:
        rows = dal.list_alerts(conn, city, since, kind, pagination.decode_keyset(cursor), limit, open_only)
    items, nxt = pagination.page(rows, limit, ("created_at", "id"))
    return [to_public(r, principal) for r in items], nxt


def set_status(principal: Principal, alert_id: str, data: AlertPatch) -> dict[str, Any]:
    """Operators (and up) handle their city's alerts; reads cited by an alert under investigation are kept by
    retention (not anonymised) until it is closed."""
    with db.transaction() as conn:
        in_callers_city(conn, principal, dal.alert_visible, alert_id, "alerta")
        principal.require("admin", "manager", "operator")
        row = dal.set_alert_status(conn, alert_id, principal.scope, data.status)
    if row is None:
        raise not_found("alerta")
    return to_public(row)


def _watch_public(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": str(row["id"]),
        "city_id": str(row["city_id"]),
        "plate": row["plate"],
        "reason": row["reason"],
        "fuzzy": row["fuzzy"],
        "created_by": str(row["created_by"]) if row["created_by"] else None,
        "created_at": row["created_at"],
        "agreement_id": str(row["agreement_id"]) if row["agreement_id"] else None,  # a partner's hotlist entry
        "source_ref": row["source_ref"],
        "expires_at": row["expires_at"],
    }


def add_watch(principal: Principal, data: WatchIn) -> dict[str, Any]:
    """Put a plate on the city's watchlist (managers of the city, admins for any city)."""
    principal.require("admin", "manager")
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


def list_watch(
    principal: Principal, city_id: str | None, limit: int, cursor: str | None
) -> tuple[list[dict[str, Any]], str | None]:
    """Watchlist entries of the caller's city (admins: all cities or the one asked), oldest first."""
    principal.require("admin", "manager")
    city = scope_city(principal, city_id)
    with db.transaction() as conn:
        rows = dal.list_watch(conn, city, pagination.decode_keyset(cursor), limit)
    items, nxt = pagination.page(rows, limit, ("created_at", "id"))
    return [_watch_public(r) for r in items], nxt


def remove_watch(principal: Principal, watch_id: str) -> None:
    """Managers remove an entry of their city's watchlist; another city's entry is a 404."""
    with db.transaction() as conn:
        in_callers_city(conn, principal, dal.watch_visible, watch_id, "item da lista")
        principal.require("admin", "manager")
        if not dal.delete_watch(conn, watch_id, principal.scope):
            raise not_found("item da lista")
