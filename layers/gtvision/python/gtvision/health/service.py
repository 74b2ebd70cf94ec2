"""Reads of stream and recording health for the API: a camera's metrics and a city's health.

What `gtvision.health.poll` records (state, samples, incidents), scoped to the caller's city.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from gtvision.core import db
from gtvision.core.errors import Invalid, not_found
from gtvision.core.principal import Principal
from gtvision.core.timeutil import query_time
from gtvision.health import store as dal
from gtvision.tenancy import cameras as cameras_logic
from gtvision.tenancy import cities

METRICS_MAX_RANGE = timedelta(days=7)


def camera_metrics(principal: Principal, camera_id: str, query: dict[str, str]) -> dict[str, Any]:
    """A camera's stream samples over a range (default: the last hour), for its city's users."""
    camera = cameras_logic.visible(principal, camera_id)
    now = datetime.now(UTC)
    from_ = query_time(query.get("from"), "from", code="invalid_range") or now - timedelta(hours=1)
    to = query_time(query.get("to"), "to", code="invalid_range") or now
    if to <= from_:
        raise Invalid("invalid_range", "'to' deve ser posterior a 'from'")
    if to - from_ > METRICS_MAX_RANGE:
        raise Invalid("invalid_range", "o intervalo máximo é de 7 dias")
    with db.transaction() as conn:
        state = dal.camera_state(conn, camera_id) or {}
        rows = dal.samples(conn, camera_id, from_, to)
    return {
        "camera_id": camera_id,
        "city_id": str(camera.city_id),
        "status": cameras_logic.derived_status(camera.status, state.get("status")),
        "since": state.get("since"),
        "current": {
            "inbound_kbps": state.get("inbound_kbps"),
            "fps": state.get("fps"),
            "frames_in_error": state.get("frames_in_error"),
            "readers": state.get("readers"),
            "readers_by_type": state.get("readers_by_type") or {},
            "codec": state.get("codec"),
            "width": state.get("width"),
            "height": state.get("height"),
            "recording_lag_s": state.get("recording_lag_s"),
        },
        "samples": [
            {
                "at": r["at"],
                "online": r["online"],
                "inbound_kbps": r["inbound_kbps"],
                "frames_in_error": r["frames_in_error"],
                "readers": r["readers"],
                "fps": r["fps"],
                "recording_lag_s": r["recording_lag_s"],
            }  # fmt: skip
            for r in rows
        ],
    }


def city_health(principal: Principal, city_id: str) -> dict[str, Any]:
    """How many of a city's cameras are online, offline or not recording."""
    if not principal.can_see_city(city_id):
        raise not_found("cidade")
    with db.transaction() as conn:
        if not cities.exists(city_id):
            raise not_found("cidade")
        data = dal.city_health(conn, city_id, datetime.now(UTC))
    counts = data["counts"]
    return {
        "city_id": city_id,
        "cameras": counts.get("cameras", 0),
        "online": counts.get("online", 0),
        "offline": counts.get("offline", 0),
        "unknown": counts.get("unknown", 0),
        "stopped": counts.get("stopped", 0),
        "recording_stalled": [str(c) for c in data["stalled"]],
        "lpr_reads_last_hour": data["lpr_reads_last_hour"],
        "open_alerts": data["open_alerts"],
        "troubled": [
            {
                "camera_id": str(r["id"]),
                "name": r["name"],
                "status": r["status"],
                "since": r["since"],
                "recording_lag_s": r["recording_lag_s"],
            }
            for r in data["troubled"]
        ],  # fmt: skip
    }
