"""Camera status changes outside the poll — a manager starting or stopping a camera, a MediaMTX hook — and
the one place every committed change is announced (`committed_changes`: logs, then the listeners, which
publish the `stream.status` live events)."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from gtvision.alerts import incidents
from gtvision.alerts import service as alerts
from gtvision.alerts.incidents import AlertRow, NewIncident
from gtvision.core import db
from gtvision.core.observability import logger
from gtvision.health import store as dal
from gtvision.health.schemas import StatusChange
from gtvision.live import publish as events
from gtvision.tenancy.schemas import Camera

if TYPE_CHECKING:  # the API's models, imported where an answer is built (ADR 0029)
    from gtvision.streams.api_schemas import HookAccepted, MediaMTXEvent

HEALTH_KINDS = ("camera_offline", "recording_stalled")


def _live_events(changes: list[StatusChange]) -> None:
    """Each committed change as a `stream.status` live event (poll, MediaMTX hook, start/stop)."""
    for change in changes:
        events.stream_status(change.city_id, change.camera_id, change.status, change.at)


#: Called with the committed changes of every transaction that recorded some (live events plug in here).
status_listeners: list[Callable[[list[StatusChange]], None]] = [_live_events]


def committed_changes(changes: list[StatusChange]) -> None:
    """The single place a committed status change is announced. Never raises into the caller."""
    for change in changes:
        logger.info(
            "camera status changed",
            extra={
                "camera_id": change.camera_id,
                "status": change.status,
                "previous": change.previous,
                "source": change.source,
            },
        )
    for listener in list(status_listeners):
        try:
            listener(changes)
        except Exception:  # noqa: BLE001 - the change is committed; a consumer failing must not undo it
            logger.exception("status listener failed")


def incident(camera_id: str, city_id: object, name: str | None, kind: str, at: datetime, **detail: Any) -> NewIncident:
    """A health incident to open (`camera_offline`, `recording_stalled`)."""
    return {
        "city_id": city_id,
        "kind": kind,
        "camera_id": camera_id,
        "captured_at": at,
        "dedup_key": f"{camera_id}:{at.isoformat()}",
        "detail": {"camera_name": name, **detail},
    }


def _transition(cam: Camera, status: str, at: datetime, source: str, started: bool = False) -> None:
    """Set one camera's status now (hook, manager), with its change and offline incident, then announce."""
    cid, city = str(cam.id), str(cam.city_id)
    opened: list[AlertRow] = []
    resolved: list[AlertRow] = []
    changes: list[StatusChange] = []
    with db.transaction() as conn:
        previous = dal.set_status(conn, cid, city, status, at, started=started)
        if previous is not None:
            changes.append(StatusChange(cid, city, status, previous, at, source))
            dal.insert_status_changes(conn, changes)
        if source == "manager":  # stopped on purpose: every open incident of the camera ends now
            for kind in HEALTH_KINDS:
                resolved += incidents.resolve_incidents(conn, kind, [cid], at)
        elif status == "offline":
            alert = incident(cid, city, cam.name, "camera_offline", at, reason="MediaMTX: fonte offline")
            opened = incidents.open_incidents(conn, [alert])
        elif status == "online":
            resolved = incidents.resolve_incidents(conn, "camera_offline", [cid], at)
    committed_changes(changes)
    alerts.publish(opened + resolved)


def started(camera: Camera) -> None:
    """A manager started the camera: the stall clock restarts now; its state is `unknown` until seen."""
    _transition(camera, "unknown", datetime.now(UTC), "manager", started=True)


def stopped(camera: Camera) -> None:
    """A manager stopped the camera on purpose: offline, and no incident stays open for it."""
    _transition(camera, "offline", datetime.now(UTC), "manager")


def apply_hook(event: MediaMTXEvent, now: datetime) -> HookAccepted:
    """A MediaMTX runOnOnline/runOnOffline event (already authenticated and parsed)."""
    from gtvision.streams.api_schemas import HookAccepted
    from gtvision.tenancy import cameras

    path = event.path
    cam = cameras.get_any(path) if _is_uuid(path) else None  # MediaMTX may have paths that are not ours
    if cam is None or cam.status != "streaming":
        # A path we do not manage, or a camera stopped on purpose (its path going offline is expected).
        return HookAccepted(status="ignored")
    _transition(cam, event.event, now, "hook")
    return HookAccepted(status="recorded")


def _is_uuid(value: str) -> bool:
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True
