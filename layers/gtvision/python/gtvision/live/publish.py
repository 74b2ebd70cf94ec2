"""Live events: one call for every source (LPR alerts, clip transitions, stream status, health).

A source calls `publish` AFTER its transaction committed; the message goes to the events queue and
EventsNotifierFunction pushes it to the WebSocket connections of the event's city (admins: all) that
subscribed to its topic (and camera). The tables stay the truth: a failed publish is logged and
counted, never undoes or fails the change it reports.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import TYPE_CHECKING

from gtvision.core import aws
from gtvision.core.jsonutil import dumps  # the API's JSON, so data reads as in REST
from gtvision.core.observability import logger, metrics
from gtvision.core.settings import get_settings

if TYPE_CHECKING:  # a type only: the sources publishing here need none of the sockets' rows (ADR 0029)
    from gtvision.live.schemas import Json

#: Message type → the topic a client subscribes to (contract "Live events"); an export's progress travels
#: with clips (evidence exports, for operators and up).
TOPICS = {
    "alert": "alerts",
    "alert.updated": "alerts",
    "stream.status": "streams",
    "clip.status": "clips",
    "export.status": "clips",
}


def message(city_id: str, type_: str, data: Mapping[str, object], camera_id: str | None = None) -> Json:
    """The queue message of one event (`data` as the REST API shows the thing)."""
    if type_ not in TOPICS:
        raise ValueError(f"unknown live event type {type_!r}")
    camera = camera_id if camera_id is not None else data.get("camera_id")
    return {"type": type_, "city_id": str(city_id), "camera_id": str(camera) if camera else None, "data": dict(data)}


def publish(city_id: str, type_: str, data: Mapping[str, object], camera_id: str | None = None) -> bool:
    """Queue one live event; returns False (logged, counted) when it could not be queued."""
    body = dumps(message(city_id, type_, data, camera_id))
    queue_url = get_settings().events_queue_url
    if not queue_url:
        logger.debug("EVENTS_QUEUE_URL not set: live event dropped", extra={"type": type_})
        return False
    try:  # straight to the queue: the sources publishing here need nothing of the sockets' store (ADR 0029)
        aws.client("sqs").send_message(QueueUrl=queue_url, MessageBody=body)
    except Exception:  # noqa: BLE001 - the change is committed; only its live notice is lost
        logger.exception("live event not queued", extra={"type": type_, "city_id": str(city_id)})
        metrics.add_metric(name="LiveEventPublishFailed", unit="Count", value=1)
        return False
    return True


def publish_many(items: list[tuple[str, str, Mapping[str, object]]]) -> int:
    """Queue many live events — (city_id, type, data) each — in batches of ten; returns how many were queued.
    What could not be queued is logged and counted, as in `publish`."""
    if not items:
        return 0
    if len(items) == 1:  # one event (an alert of a webhook's read): the single path every source uses
        return int(publish(*items[0]))
    bodies = [dumps(message(city_id, type_, data)) for city_id, type_, data in items]
    if not get_settings().events_queue_url:
        logger.debug("EVENTS_QUEUE_URL not set: live events dropped", extra={"events": len(bodies)})
        return 0
    lost = _send_batches(get_settings().events_queue_url, bodies)
    if lost:
        logger.error("live events not queued", extra={"events": len(bodies), "lost": lost})
        metrics.add_metric(name="LiveEventPublishFailed", unit="Count", value=lost)
    return len(bodies) - lost


def _send_batches(queue_url: str, bodies: list[str]) -> int:
    """Put the events on the queue, ten per SendMessageBatch call; how many were not queued (a call that fails
    whole fails its ten)."""
    sqs, lost = aws.client("sqs"), 0
    for start in range(0, len(bodies), 10):
        chunk = bodies[start : start + 10]
        try:
            reply = sqs.send_message_batch(
                QueueUrl=queue_url, Entries=[{"Id": str(i), "MessageBody": body} for i, body in enumerate(chunk)]
            )
        except Exception:  # noqa: BLE001 - counted by the caller
            lost += len(chunk)
            continue
        lost += len(reply.get("Failed") or [])
    return lost


def stream_status(city_id: str, camera_id: str, status: str, at: datetime | str) -> bool:
    """`stream.status` of one camera (`status` as the stream/health APIs say it, `at` when it changed)."""
    return publish(city_id, "stream.status", {"camera_id": str(camera_id), "status": status, "at": at}, camera_id)
