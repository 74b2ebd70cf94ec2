"""Live events: the fan-out of queued events to the subscribed connections, and closing a session's sockets.

`fan_out` delivers one event to the connections of its city (admins: every city) that subscribed to its
topic (and camera), each in the form its role may read (`deliverable` and `payload_for`: the same rules as
REST), and forgets the connections API Gateway reports gone. `close_user_sockets` / `close_session_sockets`
end the sockets of a user or login session (logout, refresh-token reuse, deletion, a change of rights):
their rows go first, so no event reaches them, then API Gateway closes them (`DeleteConnection`). Tenancy
tells of those changes through `tenancy.access` (it cannot import live: live imports tenancy);
`close_on_access_change` is the listener the API function subscribes.
"""

from __future__ import annotations

import json
from collections.abc import Iterable

from gtvision.alerts.redaction import alert_for
from gtvision.core import db
from gtvision.core.observability import logger
from gtvision.live import store
from gtvision.live.publish import TOPICS
from gtvision.live.schemas import FanOut, LiveEvent, Subscriber
from gtvision.tenancy.access import AccessChange

#: Events whose data is an alert as GET /v1/alerts shows it: redacted per role as REST does.
ALERT_TYPES = frozenset({"alert", "alert.updated"})


def parse_event(body: str) -> LiveEvent:
    """One events-queue message, checked (a malformed one fails alone and ends in the DLQ)."""
    doc = json.loads(body)
    if not isinstance(doc, dict) or doc.get("type") not in TOPICS or not doc.get("city_id"):
        raise ValueError("evento sem type/city_id válidos")
    data = doc.get("data")
    camera = doc.get("camera_id")
    return LiveEvent(
        type=str(doc["type"]),
        city_id=str(doc["city_id"]),
        camera_id=str(camera) if camera else None,
        data=data if isinstance(data, dict) else {},
    )


# ------------------------------------------------------------------------------------ who gets what


def event_cameras(event: LiveEvent) -> set[str]:
    """The cameras an event is about: its `camera_id`, or those of an evidence export's files (none: a city-wide
    event such as an ops alert)."""
    if event.camera_id is not None:
        return {event.camera_id}
    files = event.data.get("files")
    if not isinstance(files, list):
        return set()
    return {str(f["camera_id"]) for f in files if isinstance(f, dict) and f.get("camera_id")}


def deliverable(subscriber: Subscriber, event: LiveEvent) -> bool:
    """Whether `event` reaches this connection: its topic, the cameras it chose, and the cameras its user may
    see at all (a restricted user's `allowed_camera_ids`: only events whose every camera is one of those)."""
    if TOPICS[event.type] not in subscriber.topics:
        return False
    chosen = subscriber.camera_ids
    if chosen and (event.camera_id is None or event.camera_id not in {str(c) for c in chosen}):
        return False
    allowed = subscriber.allowed_camera_ids
    if allowed is None:
        return True
    cameras = event_cameras(event)
    return bool(cameras) and cameras <= {str(c) for c in allowed}


def payload_for(event: LiveEvent, role: str) -> bytes:
    """The frame a connection of `role` gets: `{"type", "data"}`, the data as REST shows it to that role."""
    data = alert_for(role, event.data) if event.type in ALERT_TYPES else event.data
    return json.dumps({"type": event.type, "data": data}, ensure_ascii=False).encode()


class Audience:
    """The subscribers of each city, read once per batch of events (a batch's events of one city share one
    lookup)."""

    def __init__(self) -> None:
        self._by_city: dict[str, list[Subscriber]] = {}

    def of(self, city_id: str) -> list[Subscriber]:
        if city_id not in self._by_city:
            with db.transaction() as conn:
                self._by_city[city_id] = store.audience(conn, city_id)
        return self._by_city[city_id]

    def forget(self, connection_ids: Iterable[str]) -> None:
        gone = set(connection_ids)
        for city, subscribers in self._by_city.items():
            self._by_city[city] = [s for s in subscribers if s.connection_id not in gone]


# ------------------------------------------------------------------------------------ fan-out


def fan_out(event: LiveEvent, audience: Audience | None = None) -> FanOut:
    """Push the event to every connection it reaches; prune the ones that are gone."""
    audience = audience or Audience()
    targets = [s for s in audience.of(event.city_id) if deliverable(s, event)]
    if not targets:
        return FanOut(0, 0, 0, 0)
    payloads: dict[str, bytes] = {}  # one frame per role (at most four serializations per event)
    for s in targets:
        if s.role not in payloads:
            payloads[s.role] = payload_for(event, s.role)
    try:
        outcomes = store.post_many([(s.connection_id, payloads[s.role]) for s in targets])
    except Exception as exc:  # noqa: BLE001 - no endpoint or no credentials: every post failed, none is gone
        logger.warning("live event not posted", extra={"type": event.type, "error": str(exc)})
        outcomes = ["failed"] * len(targets)
    gone = [s.connection_id for s, o in zip(targets, outcomes, strict=True) if o == "gone"]
    if gone:
        with db.transaction() as conn:
            store.delete_connections(conn, gone)
        audience.forget(gone)
    return FanOut(len(targets), outcomes.count("ok"), len(gone), outcomes.count("failed"))


# ------------------------------------------------------------------------------------ closing sockets


def close_user_sockets(user_id: str) -> int:
    """Close every live-event socket of a user (deleted, deactivated, rights changed); how many were open."""
    with db.transaction() as conn:
        ids = store.take_connections(conn, user_id=str(user_id))
    return _close(ids)


def close_session_sockets(session_id: str) -> int:
    """Close the live-event sockets opened with a login session (logout, refresh-token reuse)."""
    with db.transaction() as conn:
        ids = store.take_connections(conn, session_id=str(session_id))
    return _close(ids)


def close_on_access_change(change: AccessChange) -> None:
    """`tenancy.access` listener: a session that ended closes its sockets; any other change of a user's
    access (deletion, deactivation, role, city, camera groups, 2FA reset) closes all of theirs, and the
    console reconnects with a token that carries the new rights."""
    if change.session_id is not None:
        close_session_sockets(change.session_id)
    else:
        close_user_sockets(change.user_id)


def _close(connection_ids: list[str]) -> int:
    """API Gateway closes each connection (code 4001 locally). A failure is logged, never raised: the row is
    gone already, so no event reaches the socket, and the change that closes it must not fail for it."""
    for connection_id in connection_ids:
        try:
            store.delete_connection(connection_id)
        except Exception as exc:  # noqa: BLE001 - see the docstring
            logger.warning("live socket not closed", extra={"connection_id": connection_id, "error": str(exc)})
    return len(connection_ids)
