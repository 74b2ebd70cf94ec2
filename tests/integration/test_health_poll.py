"""Stream and recording health against a MediaMTX stand-in that answers `/v3/paths/list` per its OpenAPI.

The stand-in (FakeMediaMTX, every request and answer validated against the spec) serves live paths whose
`inboundBytes` grow at a known rate on a clock the test moves; the poller runs with that same clock, so
rates are measured, not assumed. Real PostgreSQL, the API through API Gateway events, SNS in moto.
"""

from __future__ import annotations

import json
import socket
import time
import uuid
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from mediamtx_standin import RATE_BPS, PathsMediaMTX, spec  # noqa: F401 - fixture reused as it is
from openapi_core import OpenAPI
from utils import iso

from gtvision.core import db, signatures
from gtvision.core.settings import get_settings
from gtvision.health import poll as stream_health
from gtvision.recordings import store as segments_dal
from gtvision.streams.mediamtx import MediaMTXClient

HOOK_SECRET = "segredo-do-hook-mediamtx"


@pytest.fixture
def mtx(spec: OpenAPI, monkeypatch: pytest.MonkeyPatch) -> Iterator[PathsMediaMTX]:  # noqa: F811
    server = PathsMediaMTX(spec).start()
    monkeypatch.setenv("GTV_MEDIAMTX_API_URL", server.url)
    monkeypatch.setenv("GTV_RECORDING_STALL_S", "180")
    monkeypatch.setenv("GTV_MEDIAMTX_HOOK_SECRET", HOOK_SECRET)
    get_settings.cache_clear()
    yield server
    server.stop()
    monkeypatch.undo()
    get_settings.cache_clear()
    assert server.violations == [], "poller sent or stand-in answered outside openapi.yaml"


@pytest.fixture
def world(api):
    from utils import World

    return World.build(api)


def _start(world: Any, n: int = 1, token: str | None = None, city: str | None = None) -> list[str]:
    ids = []
    for i in range(n):
        cam = world.camera(token=token, city=city, name=f"Câmera saúde {i}")
        r = world.api.call("POST", f"/v1/cameras/{cam['id']}/stream/start", token=token or world.manager_a)
        assert r.status == 200, r.text
        ids.append(cam["id"])
    return ids


def _poll(mtx: PathsMediaMTX, after_s: float) -> stream_health.PollReport:
    mtx.clock += timedelta(seconds=after_s)
    client = MediaMTXClient(mtx.url, "http://h", "http://w", "rtsp://r")
    return stream_health.poll(now=mtx.clock, client=client)


def _metrics(world: Any, cam: str, mtx: PathsMediaMTX) -> dict[str, Any]:
    """The camera's metrics over the hour before the stand-in's clock (the poller's time)."""
    query = {"from": iso(mtx.clock - timedelta(hours=1)), "to": iso(mtx.clock + timedelta(seconds=1))}
    r = world.api.call("GET", f"/v1/cameras/{cam}/stream/metrics", token=world.viewer_a, query=query)
    assert r.status == 200, r.text
    return dict(r.json())


def _open_alerts(world: Any, kind: str, cam: str) -> list[dict[str, Any]]:
    r = world.api.call("GET", "/v1/alerts", token=world.manager_a, query={"kind": kind, "open": "true"})
    assert r.status == 200, r.text
    return [a for a in r.json()["items"] if a["camera_id"] == cam]


def _all_alerts(world: Any, kind: str, cam: str) -> list[dict[str, Any]]:
    r = world.api.call("GET", "/v1/alerts", token=world.manager_a, query={"kind": kind, "limit": "500"})
    return [a for a in r.json()["items"] if a["camera_id"] == cam]


def test_kbps_follows_the_byte_counters_across_pages(world, mtx: PathsMediaMTX) -> None:
    # Given three started cameras live in MediaMTX at 2 Mbit/s (listed two per page) with viewers
    cams = _start(world, 3)
    for cam in cams:
        mtx.stream(cam, readers=("hlsSession", "webRTCSession", "webRTCSession"))

    # When the poller runs twice a minute apart
    _poll(mtx, 60)
    calls = mtx.list_calls
    report = _poll(mtx, 60)

    # Then every page was read and each camera reports the counters' rate (within 5 %), online, with readers
    assert mtx.list_calls - calls == 2 and report.paths >= 3
    for cam in cams:
        got = _metrics(world, cam, mtx)
        assert got["status"] == "online", got
        assert abs(got["current"]["inbound_kbps"] - RATE_BPS / 1000) / (RATE_BPS / 1000) < 0.05, got
        assert got["current"]["readers"] == 3 and got["current"]["readers_by_type"] == {
            "hlsSession": 1,
            "webRTCSession": 2,
        }
        assert got["current"]["codec"] == "H264" and got["current"]["frames_in_error"] == 0
        assert len(got["samples"]) == 2 and all(s["online"] for s in got["samples"])
    # And the camera JSON shows the observed status
    shown = world.api.call("GET", f"/v1/cameras/{cams[0]}", token=world.viewer_a).json()
    assert shown["status"] == "online" and shown["stream_status"] == "streaming"


def test_counter_resets_never_give_negative_or_huge_rates(world, mtx: PathsMediaMTX) -> None:
    # Given a live camera sampled once
    (cam,) = _start(world)
    mtx.stream(cam)
    _poll(mtx, 120)

    # When the source reconnects 10 s before the next poll (new onlineTime, counters from zero)
    mtx.clock += timedelta(seconds=50)
    mtx.stream(cam)
    _poll(mtx, 10)

    # Then the rate is measured since the reconnection, never negative nor a wrap-around
    kbps = _metrics(world, cam, mtx)["current"]["inbound_kbps"]
    assert abs(kbps - RATE_BPS / 1000) / (RATE_BPS / 1000) < 0.05

    # When the counter goes down without a new onlineTime (a MediaMTX restart reusing it)
    mtx.streams[cam]["rate"] = RATE_BPS // 10
    _poll(mtx, 60)
    # Then no rate is invented for that minute
    kbps = _metrics(world, cam, mtx)["current"]["inbound_kbps"]
    assert kbps is None or 0 <= kbps <= RATE_BPS / 1000 * 1.05


def test_path_gone_or_not_ready_opens_one_offline_alert_resolved_on_return(world, mtx: PathsMediaMTX) -> None:
    # Given two live cameras
    gone, not_ready = _start(world, 2)
    mtx.stream(gone)
    mtx.stream(not_ready)
    _poll(mtx, 60)

    # When one path disappears and the other goes not-ready, for three polls
    del mtx.streams[gone]
    mtx.streams[not_ready]["online"] = False
    for _ in range(3):
        _poll(mtx, 60)

    # Then both are offline since the first of those polls, with one open camera_offline alert each
    for cam in (gone, not_ready):
        got = _metrics(world, cam, mtx)
        assert got["status"] == "offline", got
        open_alerts = _open_alerts(world, "camera_offline", cam)
        assert len(open_alerts) == 1 and open_alerts[0]["resolved_at"] is None
        assert open_alerts[0]["plate"] is None
        assert [s["online"] for s in got["samples"]] == [True, False, False, False]

    # When the paths return
    mtx.stream(gone)
    mtx.streams[not_ready]["online"] = True
    _poll(mtx, 60)

    # Then the incidents are resolved (kept in the list with resolved_at), and nothing is open
    for cam in (gone, not_ready):
        assert _metrics(world, cam, mtx)["status"] == "online"
        assert _open_alerts(world, "camera_offline", cam) == []
        every = _all_alerts(world, "camera_offline", cam)
        assert len(every) == 1 and every[0]["resolved_at"] is not None
    # And each change was written once, with its time
    with db.transaction() as conn:
        rows = conn.execute(
            "SELECT status, at FROM camera_status_changes WHERE camera_id = %s AND source = 'poll' ORDER BY at",
            (gone,),
        ).fetchall()
    assert [r["status"] for r in rows] == ["online", "offline", "online"]


def test_mediamtx_unreachable_means_unknown_and_no_alerts(world, mtx: PathsMediaMTX, monkeypatch) -> None:
    # Given a live camera, sampled
    (cam,) = _start(world)
    mtx.stream(cam)
    _poll(mtx, 60)

    # When MediaMTX cannot be reached and the deployed function runs (as Lambda imports it)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    monkeypatch.setenv("GTV_MEDIAMTX_API_URL", f"http://127.0.0.1:{port}")
    get_settings.cache_clear()
    from utils import LambdaContext, load_function

    report = load_function("stream_health", "handler").handler({"time": "2026-11-23T14:05:00Z"}, LambdaContext())

    # Then statuses are unknown, not offline, and no alert is opened
    assert report["mediamtx"] == "unreachable"
    assert _metrics(world, cam, mtx)["status"] == "unknown"
    assert _all_alerts(world, "camera_offline", cam) == []
    assert _all_alerts(world, "recording_stalled", cam) == []


def test_recording_stall_opens_and_resolves_and_stopped_cameras_raise_nothing(
    world, mtx: PathsMediaMTX, monkeypatch
) -> None:
    # Given a small stall threshold, a live camera that records nothing, and one a manager stopped
    monkeypatch.setenv("GTV_RECORDING_STALL_S", "30")
    get_settings.cache_clear()
    silent, stopped = _start(world, 2)
    mtx.stream(silent)
    r = world.api.call("POST", f"/v1/cameras/{stopped}/stream/stop", token=world.manager_a)
    assert r.status == 200, r.text

    # When polls run past the threshold
    _poll(mtx, 10)
    assert _open_alerts(world, "recording_stalled", silent) == []
    _poll(mtx, 60)
    _poll(mtx, 60)

    # Then the silent camera has one open recording_stalled alert; the stopped one has no alert at all
    assert len(_open_alerts(world, "recording_stalled", silent)) == 1
    assert _all_alerts(world, "recording_stalled", stopped) == []
    assert _all_alerts(world, "camera_offline", stopped) == []
    health = world.api.call("GET", f"/v1/cities/{world.city_a}/health", token=world.viewer_a).json()
    assert silent in health["recording_stalled"] and stopped not in health["recording_stalled"]

    # When a segment arrives (60 s, 1,500 frames)
    end = mtx.clock + timedelta(seconds=5)
    with db.transaction() as conn:
        segments_dal.insert(
            conn,
            {
                "camera_id": silent,
                "city_id": world.city_a,
                "start_at": end - timedelta(seconds=60),
                "end_at": end,
                "duration_s": 60.0,
                "s3_key": f"recordings/{silent}/x.mp4",
                "frame_count": 1500,
            },
        )
    _poll(mtx, 10)

    # Then the incident is resolved and fps / lag come from that segment
    assert _open_alerts(world, "recording_stalled", silent) == []
    got = _metrics(world, silent, mtx)
    assert got["current"]["fps"] == 25.0 and 0 <= got["current"]["recording_lag_s"] < 10


def test_city_health_counts_and_tenancy(world, mtx: PathsMediaMTX) -> None:
    # Given city A with one online, one offline and one never-started camera
    up, down = _start(world, 2)
    idle = world.camera(name="Nunca iniciada")["id"]
    mtx.stream(up)
    _poll(mtx, 60)

    # When the city's health is read
    health = world.api.call("GET", f"/v1/cities/{world.city_a}/health", token=world.viewer_a)

    # Then it counts each state and lists the troubled camera
    assert health.status == 200, health.text
    body = health.json()
    assert (body["cameras"], body["online"], body["offline"], body["unknown"]) == (3, 1, 1, 1)
    assert [t["camera_id"] for t in body["troubled"]] == [down]
    assert body["open_alerts"] == 1 and body["lpr_reads_last_hour"] == 0
    assert world.api.call("GET", f"/v1/cameras/{idle}", token=world.viewer_a).json()["status"] == "unknown"

    # And a viewer restricted to a camera group counts only the group's cameras, their alerts included
    group = world.api.call(
        "POST", f"/v1/cities/{world.city_a}/camera-groups", {"name": "Só a online", "camera_ids": [up]}, world.manager_a
    )
    assert group.status == 201, group.text
    name = f"saude-{uuid.uuid4().hex[:8]}"
    user = {"username": name, "password": "frase-longa-do-teste-42", "role": "viewer", "city_id": world.city_a}
    user["camera_group_ids"] = [group.json()["id"]]
    assert world.api.call("POST", "/v1/users", user, world.manager_a).status == 201
    restricted = world.api.login(name, "frase-longa-do-teste-42")
    mine = world.api.call("GET", f"/v1/cities/{world.city_a}/health", token=restricted).json()
    assert (mine["cameras"], mine["online"], mine["offline"], mine["unknown"]) == (1, 1, 0, 0), mine
    assert mine["troubled"] == [] and mine["open_alerts"] == 0 and mine["recording_stalled"] == []

    # And another city sees none of it
    assert world.api.call("GET", f"/v1/cities/{world.city_a}/health", token=world.viewer_b).status == 404
    assert world.api.call("GET", f"/v1/cameras/{up}/stream/metrics", token=world.viewer_b).status == 404
    alerts_b = world.api.call("GET", "/v1/alerts", token=world.manager_b, query={"open": "true"}).json()["items"]
    assert alerts_b == []


def _hook(world: Any, body: dict[str, Any], t: int | None = None, secret: str = HOOK_SECRET, sign: bool = True) -> Any:
    raw = json.dumps(body).encode()
    headers = {"x-gtv-signature": signatures.sign(secret, raw, t or int(time.time()))} if sign else {}
    return world.api.call("POST", "/v1/hooks/mediamtx", raw=raw, headers=headers)


def test_mediamtx_hook_records_changes_at_once_and_refuses_unsigned_or_stale(world, mtx: PathsMediaMTX) -> None:
    (cam,) = _start(world)
    # Unsigned, stale, or signed with another secret: 401 and nothing recorded
    assert _hook(world, {"event": "offline", "path": cam}, sign=False).status == 401
    assert _hook(world, {"event": "offline", "path": cam}, t=int(time.time()) - 3600).status == 401
    assert _hook(world, {"event": "offline", "path": cam}, secret="outro").status == 401
    assert _metrics(world, cam, mtx)["status"] == "unknown"

    # A signed offline event: offline at once, one alert (a repeat opens nothing new)
    r = _hook(world, {"event": "offline", "path": cam})
    assert r.status == 202 and r.json() == {"status": "recorded"}, r.text
    assert _hook(world, {"event": "offline", "path": cam}).status == 202
    assert _metrics(world, cam, mtx)["status"] == "offline"
    assert len(_open_alerts(world, "camera_offline", cam)) == 1

    # A signed online event: online, alert resolved
    assert _hook(world, {"event": "online", "path": cam}).status == 202
    assert _metrics(world, cam, mtx)["status"] == "online"
    assert _open_alerts(world, "camera_offline", cam) == []

    # Paths that are not our cameras are ignored; malformed events are 422
    assert _hook(world, {"event": "online", "path": "not-a-camera"}).json() == {"status": "ignored"}
    assert _hook(world, {"event": "exploded", "path": cam}).status == 422


def test_health_alerts_are_published_to_the_alerts_topic_when_opened_and_resolved(world, mtx: PathsMediaMTX) -> None:
    import os

    from gtvision.core import aws

    # Given a queue subscribed to the alerts topic (raw delivery) and a live camera
    sqs, sns = aws.client("sqs"), aws.client("sns")
    url = sqs.create_queue(QueueName=f"alerts-probe-{uuid.uuid4().hex[:8]}")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    sns.subscribe(
        TopicArn=os.environ["ALERTS_TOPIC_ARN"], Protocol="sqs", Endpoint=arn, Attributes={"RawMessageDelivery": "true"}
    )
    (cam,) = _start(world)
    mtx.stream(cam)
    _poll(mtx, 60)

    # When its path disappears for two polls, then returns
    del mtx.streams[cam]
    _poll(mtx, 60)
    _poll(mtx, 60)
    mtx.stream(cam)
    _poll(mtx, 60)

    # Then the topic got the incident once when opened and once when resolved
    messages = []
    while batch := sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=1).get("Messages"):
        messages += [json.loads(m["Body"]) for m in batch]
    mine = [m for m in messages if m["camera_id"] == cam and m["kind"] == "camera_offline"]
    assert [m["resolved_at"] is None for m in mine] == [True, False], mine
    assert mine[0]["id"] == mine[1]["id"] and mine[0]["city_id"] == world.city_a
