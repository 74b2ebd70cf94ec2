"""What of an alert each role may read: one rule for the REST API (`GET /v1/alerts`) and the live events.

A viewer may not list the watchlist, so the alert's detail never repeats a watchlist entry's reason or plate
to a viewer, whichever way the alert reaches them. Kept apart from `alerts.service` so the events notifier
applies it without importing the alert rules.
"""

from __future__ import annotations

from collections.abc import Mapping

from gtvision.core.jsonutil import JsonObject

#: What of a watchlist entry an alert's detail repeats; only those who may list the watchlist read it.
WATCHLIST_DETAIL = ("reason", "watch_plate")


def redact(detail: JsonObject, role: str | None) -> JsonObject:
    """An alert's `detail` as `role` may read it (None: no caller, the full detail)."""
    if role == "viewer":
        return {k: v for k, v in detail.items() if k not in WATCHLIST_DETAIL}
    return detail


def alert_for(role: str | None, alert: Mapping[str, object]) -> dict[str, object]:
    """An alert as the API shows it (`alerts.service.public`), as `role` may read it."""
    out = dict(alert)
    detail = out.get("detail")
    if isinstance(detail, dict):
        out["detail"] = redact(detail, role)
    return out
