"""Who gets which live event, in which form, and which client frames are answered with an error: the rules
of `live.service` and `live.sockets`, without a database or a socket."""

from __future__ import annotations

import json
import uuid

import pytest

from gtvision.core.errors import Malformed
from gtvision.live.schemas import LiveEvent, Subscriber
from gtvision.live.service import deliverable, payload_for
from gtvision.live.sockets import MAX_DEPTH, message, parse_message, too_deep

CAM_A, CAM_B = uuid.uuid4(), uuid.uuid4()
WATCH_ALERT: dict[str, object] = {
    "id": str(uuid.uuid4()),
    "kind": "watchlist",
    "plate": "ABC1D23",
    "camera_id": str(CAM_A),
    "detail": {"reason": "furto", "watch_plate": "ABC1D23", "match": "exact", "confidence": 0.9},
}


def subscriber(role: str = "manager", topics: tuple[str, ...] = ("alerts", "streams"), **extra: object) -> Subscriber:
    fields: dict[str, object] = {"camera_ids": [], "allowed_camera_ids": None, **extra}
    return Subscriber(connection_id="c1=", role=role, topics=list(topics), **fields)  # type: ignore[arg-type]


def event(type_: str = "alert", camera: uuid.UUID | None = CAM_A, data: dict[str, object] | None = None) -> LiveEvent:
    return LiveEvent(type_, str(uuid.uuid4()), str(camera) if camera else None, data or WATCH_ALERT)


def test_an_event_reaches_a_connection_of_its_topic_and_chosen_cameras() -> None:
    assert deliverable(subscriber(), event())
    assert not deliverable(subscriber(topics=("streams",)), event())  # another topic
    assert deliverable(subscriber(camera_ids=[CAM_A]), event(camera=CAM_A))
    assert not deliverable(subscriber(camera_ids=[CAM_B]), event(camera=CAM_A))  # chose other cameras
    assert not deliverable(subscriber(camera_ids=[CAM_B]), event(camera=None))


def test_a_restricted_user_gets_only_events_of_the_cameras_it_may_see() -> None:
    # The one filter point for camera groups: the connection's allowed cameras
    restricted = subscriber(allowed_camera_ids=[CAM_B])
    assert deliverable(restricted, event(camera=CAM_B))
    assert not deliverable(restricted, event(camera=CAM_A))
    assert not deliverable(restricted, event(camera=None))  # city-wide events name no camera it may see
    assert not deliverable(subscriber(allowed_camera_ids=[]), event(camera=CAM_B))  # restricted to nothing
    # even when it subscribed to every camera, or asked for one it may not see
    assert not deliverable(subscriber(allowed_camera_ids=[CAM_B], camera_ids=[CAM_A]), event(camera=CAM_A))


def test_an_evidence_exports_progress_reaches_a_restricted_user_only_when_it_may_see_every_camera() -> None:
    # An export names no camera of its own: its files do (one per camera)
    def export(*cameras: uuid.UUID) -> LiveEvent:
        files = [{"camera_id": str(c), "name": f"{c}.mp4"} for c in cameras]
        return event("export.status", camera=None, data={"id": str(uuid.uuid4()), "files": files})

    topics = ("clips",)
    assert deliverable(subscriber(topics=topics, allowed_camera_ids=[CAM_B]), export(CAM_B))
    assert not deliverable(subscriber(topics=topics, allowed_camera_ids=[CAM_B]), export(CAM_A, CAM_B))
    assert not deliverable(subscriber(topics=topics, allowed_camera_ids=[CAM_B]), export())
    assert deliverable(subscriber(topics=topics), export(CAM_A, CAM_B))  # not restricted


def test_a_viewer_never_gets_the_watchlist_entrys_reason_or_plate() -> None:
    full = json.loads(payload_for(event(), "manager"))["data"]["detail"]
    assert (full["reason"], full["watch_plate"]) == ("furto", "ABC1D23")
    for type_ in ("alert", "alert.updated"):
        detail = json.loads(payload_for(event(type_), "viewer"))["data"]["detail"]
        assert detail == {"match": "exact", "confidence": 0.9}
    # other events pass as they are (a clip's or a stream's data has nothing of the watchlist)
    status: dict[str, object] = {"camera_id": str(CAM_A), "status": "online", "reason": "x"}
    assert json.loads(payload_for(event("stream.status", data=status), "viewer"))["data"] == status


@pytest.mark.parametrize(
    ("text", "deep"),
    [
        ("[" * MAX_DEPTH + "]" * MAX_DEPTH, False),
        ("[" * (MAX_DEPTH + 1) + "]" * (MAX_DEPTH + 1), True),
        ('{"action": "subscribe", "topics": ["alerts"]}', False),
        ('{"a": "' + "[" * 5000 + '"}', False),  # brackets inside a string don't nest
        ('{"a": "\\"' + "{" * 50 + '"}', False),  # nor after an escaped quote
        ('{"a": ' * 50 + "1" + "}" * 50, True),
    ],
)
def test_depth_is_counted_outside_strings(text: str, deep: bool) -> None:
    assert too_deep(text) is deep


def test_a_deep_or_broken_frame_is_malformed_json_and_never_raises_anything_else() -> None:
    for frame in ("[" * 5000 + "]" * 5000, "{" * 100_000, "not json", "", '{"a": NaN'):
        with pytest.raises(Malformed):
            parse_message(frame)
        reply = message("c1=", frame)  # answered without touching the database
        assert reply["type"] == "error"
        error = reply["error"]
        assert isinstance(error, dict) and error["code"] == "malformed_json"
