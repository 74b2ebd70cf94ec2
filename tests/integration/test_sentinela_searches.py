"""Sentinela searches end to end: LPR stage at once, video stage through the real queue and worker.

Real PostgreSQL, moto S3/SQS over HTTP, the local runtime's SQS pollers driving SentinelaAnalyseFunction
and SentinelaDeadLetterFunction from template.yaml, ffmpeg on recordings made here with lavfi: a grey
scene that a red (or blue) box crosses between 00:20 and 00:30.
"""

from __future__ import annotations

import json
import os
import time
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from utils import LambdaContext, iso, load_function

from gtvision.core import aws, db, signatures
from gtvision.core.settings import get_settings
from gtvision.media import ffmpeg
from gtvision.recordings import store as segments_dal
from gtvision_local import events

DURATION_S = 40


def sqs() -> Any:
    return aws.client("sqs")


def queue_url(name: str) -> str:
    return str(sqs().get_queue_url(QueueName=name)["QueueUrl"])


def drain(url: str) -> None:
    while True:
        got = sqs().receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=0).get("Messages", [])
        if not got:
            return
        for m in got:
            sqs().delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])


def crossing(path: Path, color: str, duration: int = DURATION_S) -> Path:
    """640x360 grey scene; a 96x48 `color` box crosses it left to right between 00:20 and 00:30."""
    ffmpeg.run_ffmpeg(
        [
            "-f",
            "lavfi",
            "-i",
            f"color=c=0x808080:s=640x360:r=5:d={duration}",
            "-f",
            "lavfi",
            "-i",
            f"color=c={color}:s=96x48:r=5",
            "-filter_complex",
            "[0][1]overlay=x='-96+(t-20)*73':y=150:enable='between(t,20,30)':shortest=1",
            "-c:v",
            "libx264",
            "-preset",
            "ultrafast",
            "-g",
            "10",
            "-pix_fmt",
            "yuv420p",
            "-y",
            str(path),
        ],
        timeout=120,
    )
    return path


@pytest.fixture(scope="module")
def videos(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    tmp = tmp_path_factory.mktemp("sentinela")
    return {"red": crossing(tmp / "red.mp4", "red"), "blue": crossing(tmp / "blue.mp4", "blue")}


def register(
    camera: dict[str, Any], start: datetime, data: bytes, duration: float = DURATION_S, quality: str = "main"
) -> str:
    """Upload a recording and index it as SegmentUploadFunction would (that path has its own tests)."""
    path = camera["id"] if quality == "main" else f"{camera['id']}_sub"
    key = f"recordings/{path}/{start:%Y-%m-%d_%H-%M-%S-%f}.mp4"
    aws.client("s3").put_object(Bucket=get_settings().recordings_bucket, Key=key, Body=data)
    with db.transaction() as conn:
        segments_dal.insert(
            conn,
            {
                "camera_id": camera["id"],
                "city_id": camera["city_id"],
                "start_at": start,
                "end_at": start + timedelta(seconds=duration),
                "duration_s": duration,
                "s3_key": key,
                "size_bytes": len(data),
                "container": "mp4",
                "quality": quality,
            },
        )
    return key


@pytest.fixture()
def runtime(stack: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, Any]]:
    """SentinelaAnalyseFunction and its dead-letter consumer, fed by the local runtime's pollers."""
    from gtvision_local.runtime import Runtime
    from gtvision_local.template import load_template

    monkeypatch.setenv("GTV_LOCAL_VISIBILITY_TIMEOUT", "1")  # failed segments come back in 1 s
    rt = Runtime(load_template(endpoint_url=stack["aws_endpoint"]), api_port=0)
    pollers = {p.function.logical_id: p for p in rt.pollers if p.function.logical_id.startswith("Sentinela")}
    for p in pollers.values():
        p.wait_seconds = 0
        drain(p.queue.url)
    yield pollers


def run_until(poller: Any, done: Callable[[], bool], polls: int = 30) -> None:
    for _ in range(polls):
        if done():
            return
        if poller.poll_once() == 0:
            time.sleep(0.3)
    assert done(), "the worker did not get there"


def status(world: Any, search_id: str, token: str | None = None) -> dict[str, Any]:
    r = world.api.call("GET", f"/v1/sentinela/searches/{search_id}", token=token or world.viewer_a)
    assert r.status == 200, r.text
    return dict(r.json())


def results(world: Any, search_id: str, token: str | None = None) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    cursor = None
    while True:
        q = {"limit": "5", **({"cursor": cursor} if cursor else {})}
        r = world.api.call("GET", f"/v1/sentinela/searches/{search_id}/results", token=token or world.viewer_a, query=q)
        assert r.status == 200, r.text
        items += r.json()["items"]
        cursor = r.json()["next_cursor"]
        if not cursor:
            return items


def lpr_read(world: Any, camera: dict[str, Any], plate: str, color: str, at: datetime) -> str:
    body = {
        "event_id": uuid.uuid4().hex,
        "plate": plate,
        "confidence": 0.91,
        "captured_at": iso(at),
        "vehicle": {"color": color, "type": "Car"},
    }
    raw = json.dumps(body).encode()
    sig = signatures.sign(camera["webhook_secret"], raw, int(time.time()))
    r = world.api.call(
        "POST", "/v1/lpr/events", raw=raw, headers={"x-gtv-camera": camera["id"], "x-gtv-signature": sig}
    )
    assert r.status == 202, r.text
    return str(r.json()["id"])


def base_time() -> datetime:
    return (datetime.now(UTC) - timedelta(hours=3)).replace(microsecond=0)


def test_red_vehicle_found_in_lpr_reads_and_in_the_recording_only_while_it_moves(
    world: Any, videos: dict[str, Path], runtime: dict[str, Any]
) -> None:
    # Given a red box crossing camera 1's recording, a blue one crossing camera 2's, and a red car's LPR read
    cam_red = world.camera(name="Av. Central", lpr_enabled=True, location={"lat": -23.55, "lon": -46.63})
    cam_blue = world.camera(name="Rua Azul")
    t0 = base_time()
    register(cam_red, t0, videos["red"].read_bytes())
    register(cam_blue, t0, videos["blue"].read_bytes())
    read_id = lpr_read(world, cam_red, "RED1A23", "Red", t0 + timedelta(seconds=25))
    lpr_read(world, cam_red, "WHI1A23", "White", t0 + timedelta(seconds=26))

    # When a viewer searches red vehicles on both cameras with video analysis
    body = {
        "color": "vermelho",
        "from": iso(t0),
        "to": iso(t0 + timedelta(minutes=1)),
        "camera_ids": [cam_red["id"], cam_blue["id"]],
        "analyse_video": True,
    }
    r = world.api.call("POST", "/v1/sentinela/searches", body, world.viewer_a)
    assert r.status == 202, r.text
    search = r.json()
    assert search == {"id": search["id"], "status": "pending"}  # the contract's answer
    assert status(world, search["id"])["status"] == "processing"
    assert status(world, search["id"])["progress"] == 0.0
    # Then the LPR read is a result at once
    first = results(world, search["id"])
    assert [(i["source"], i["read_id"]) for i in first] == [("lpr", read_id)]

    # When SentinelaAnalyseFunction works through the queue
    run_until(runtime["SentinelaAnalyseFunction"], lambda: status(world, search["id"])["status"] == "completed")
    assert status(world, search["id"])["progress"] == 1.0

    # Then red sightings come from camera 1 only, all while the box crossed (00:20–00:31), with boxes
    items = results(world, search["id"])
    video = [i for i in items if i["source"] == "video"]
    assert len(video) >= 5, items
    assert {i["camera_id"] for i in video} == {cam_red["id"]}  # the blue box is not vermelho
    assert all(i["color"] == "vermelho" for i in video)
    offsets = sorted(
        (datetime.fromisoformat(i["captured_at"].replace("Z", "+00:00")) - t0).total_seconds() for i in video
    )
    assert offsets[0] >= 20 and offsets[-1] <= 31, offsets
    assert all(0 < i["bbox"]["width"] < 0.3 and 0.3 < i["bbox"]["top"] < 0.5 for i in video), video
    assert all(i["camera_name"] == "Av. Central" and i["lat"] == -23.55 for i in video)
    assert [i["captured_at"] for i in items] == sorted(i["captured_at"] for i in items)  # paginated by time
    with urllib.request.urlopen(video[0]["image_url"], timeout=10) as resp:  # noqa: S310 - moto presigned URL
        assert resp.read()[:2] == b"\xff\xd8"

    # And another city sees nothing of it; the search and the results reads are audited
    assert world.api.call("GET", f"/v1/sentinela/searches/{search['id']}", token=world.viewer_b).status == 404
    assert world.api.call("GET", f"/v1/sentinela/searches/{search['id']}/results", token=world.viewer_b).status == 404
    listed = world.api.call("GET", "/v1/sentinela/searches", token=world.viewer_b).json()["items"]
    assert search["id"] not in {s["id"] for s in listed}
    with db.transaction() as conn:
        actions = {
            r["action"]
            for r in conn.execute(
                "SELECT action FROM audit_log WHERE resource LIKE %s OR detail->>'search_id' = %s",
                (f"/v1/sentinela/searches/{search['id']}%", search["id"]),
            ).fetchall()
        }
    assert {"sentinela.search", "sentinela.results"} <= actions


def test_cost_guard_refuses_with_the_figure_and_stores_nothing(
    world: Any, videos: dict[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    cam = world.camera()
    t0 = base_time() - timedelta(hours=1)
    for i in range(3):
        register(cam, t0 + timedelta(seconds=40 * i), videos["red"].read_bytes())
    monkeypatch.setenv("GTV_SENTINELA_MAX_SEGMENT_HOURS", "0.02")  # 72 s
    get_settings.cache_clear()
    try:
        body = {
            "type": "carro",
            "from": iso(t0),
            "to": iso(t0 + timedelta(minutes=5)),
            "camera_ids": [cam["id"]],
            "analyse_video": True,
        }
        r = world.api.call("POST", "/v1/sentinela/searches", body, world.viewer_a)
        assert r.status == 422, r.text
        assert r.json()["error"]["code"] == "search_too_costly"
        assert "0.03 horas de gravação em 3 segmentos" in r.json()["error"]["message"]
        with db.transaction() as conn:
            n = conn.execute(
                "SELECT count(*) AS n FROM sentinela_searches WHERE criteria->'camera_ids' ? %s", (cam["id"],)
            ).fetchone()["n"]
        assert n == 0
    finally:
        monkeypatch.delenv("GTV_SENTINELA_MAX_SEGMENT_HOURS")
        get_settings.cache_clear()


def test_bad_criteria_are_422_and_other_cities_cameras_404(world: Any) -> None:
    t0 = base_time()
    window = {"from": iso(t0), "to": iso(t0 + timedelta(minutes=1))}
    r = world.api.call("POST", "/v1/sentinela/searches", window, world.viewer_a)
    assert r.status == 422 and r.json()["error"]["code"] == "criteria_required"
    r = world.api.call("POST", "/v1/sentinela/searches", {**window, "color": "furta-cor"}, world.viewer_a)
    assert r.status == 422
    r = world.api.call(
        "POST", "/v1/sentinela/searches", {**window, "plate": "ABC1234", "analyse_video": True}, world.viewer_a
    )
    assert r.status == 422 and r.json()["error"]["code"] == "video_needs_color_or_type"
    other = world.camera(token=world.manager_b, city=world.city_b)
    r = world.api.call(
        "POST", "/v1/sentinela/searches", {**window, "color": "azul", "camera_ids": [other["id"]]}, world.viewer_a
    )
    assert r.status == 404


def test_unreadable_segment_fails_alone_at_once_and_cancel_stops_analysis(
    world: Any, videos: dict[str, Path], runtime: dict[str, Any], tmp_path: Path
) -> None:
    # Given a good recording and one whose object is not media at all
    good, bad = world.camera(name="Boa"), world.camera(name="Corrompida")
    t0 = base_time() - timedelta(hours=2)
    register(good, t0, videos["red"].read_bytes())
    register(bad, t0, os.urandom(4096))
    body = {
        "color": "vermelho",
        "from": iso(t0),
        "to": iso(t0 + timedelta(minutes=1)),
        "camera_ids": [good["id"], bad["id"]],
        "analyse_video": True,
    }
    search = world.api.call("POST", "/v1/sentinela/searches", body, world.viewer_a).json()
    analyse = runtime["SentinelaAnalyseFunction"]

    def segments() -> dict[str, tuple[str, str | None]]:
        with db.transaction() as conn:
            rows = conn.execute(
                "SELECT camera_id, status, error FROM sentinela_segments WHERE search_id = %s", (search["id"],)
            ).fetchall()
        return {str(r["camera_id"]): (r["status"], r["error"]) for r in rows}

    # When the worker runs (the unreadable segment is rejected, not retried: its message succeeds)
    run_until(analyse, lambda: status(world, search["id"])["status"] == "completed")
    # Then the bad segment failed with its reason, the good one was analysed, and the search says so
    states = segments()
    assert states[good["id"]] == ("done", None)
    assert states[bad["id"]][0] == "failed" and "mídia ilegível" in str(states[bad["id"]][1])
    final = status(world, search["id"])
    assert final["progress"] == 1.0 and "1 segmento(s) com mídia ilegível" in final["error"]
    assert any(i["source"] == "video" and i["camera_id"] == good["id"] for i in results(world, search["id"]))
    assert (
        sqs().get_queue_attributes(
            QueueUrl=analyse.queue.url, AttributeNames=["ApproximateNumberOfMessagesNotVisible"]
        )["Attributes"]["ApproximateNumberOfMessagesNotVisible"]
        == "0"
    )

    # Given another search over two recordings, when it is cancelled before its messages are handled
    cam2 = world.camera(name="Cancelada")
    t1 = t0 + timedelta(minutes=10)
    register(cam2, t1, videos["red"].read_bytes())
    register(cam2, t1 + timedelta(seconds=DURATION_S), videos["red"].read_bytes())
    body = {
        "color": "vermelho",
        "from": iso(t1),
        "to": iso(t1 + timedelta(minutes=2)),
        "camera_ids": [cam2["id"]],
        "analyse_video": True,
    }
    s2 = world.api.call("POST", "/v1/sentinela/searches", body, world.viewer_a).json()
    r = world.api.call("DELETE", f"/v1/sentinela/searches/{s2['id']}", token=world.viewer_a)
    assert r.status == 200 and r.json()["status"] == "cancelled"
    assert world.api.call("DELETE", f"/v1/sentinela/searches/{s2['id']}", token=world.viewer_a).status == 409
    # Then the worker skips its segments: nothing is analysed, no sighting stored, it stays cancelled
    run_until(analyse, lambda: _all_skipped(s2["id"]))
    assert status(world, s2["id"])["status"] == "cancelled"
    assert results(world, s2["id"]) == []


def _all_skipped(search_id: str) -> bool:
    with db.transaction() as conn:
        rows = conn.execute("SELECT status FROM sentinela_segments WHERE search_id = %s", (search_id,)).fetchall()
    return len(rows) == 2 and all(r["status"] == "skipped" for r in rows)


def test_a_segment_that_reaches_the_dead_letter_queue_fails_with_its_search(
    world: Any, videos: dict[str, Path]
) -> None:
    # Given a video search with one planned segment
    cam = world.camera(name="Sem sorte")
    t0 = base_time() - timedelta(hours=2, minutes=30)
    register(cam, t0, videos["red"].read_bytes())
    body = {"color": "vermelho", "from": iso(t0), "to": iso(t0 + timedelta(minutes=1)), "camera_ids": [cam["id"]]}
    search = world.api.call("POST", "/v1/sentinela/searches", {**body, "analyse_video": True}, world.viewer_a).json()
    message = json.dumps({"search_id": search["id"], "camera_id": cam["id"], "start_at": t0.isoformat()})
    # When its message, after failing every retry, is consumed by the dead-letter function
    dead_letter = load_function("sentinela_analyse", "handler").dead_letter
    event = events.sqs_event([message], "arn:aws:sqs:us-east-1:123456789012:gtvision-sentinela-dlq")
    assert dead_letter(event, LambdaContext()) == {"batchItemFailures": []}
    # Then the segment and the search fail, saying which segment
    final = status(world, search["id"])
    assert final["status"] == "failed" and "não pôde ser analisado" in final["error"]


def test_an_lpr_search_answers_pending_then_reads_completed(world: Any) -> None:
    # Given a red car's read
    cam = world.camera(name="Só LPR", lpr_enabled=True)
    t0 = base_time()
    read_id = lpr_read(world, cam, "PEN1D23", "Red", t0 + timedelta(seconds=5))
    body = {"plate": "PEN1D23", "from": iso(t0), "to": iso(t0 + timedelta(minutes=1)), "camera_ids": [cam["id"]]}
    # When a viewer searches it (no video)
    r = world.api.call("POST", "/v1/sentinela/searches", body, world.viewer_a)
    # Then the answer is the contract's 202 {"id", "status": "pending"}, and the state moves on: completed
    assert r.status == 202 and r.json() == {"id": r.json()["id"], "status": "pending"}, r.text
    final = status(world, r.json()["id"])
    assert final["status"] == "completed" and final["progress"] == 1.0
    assert [i["read_id"] for i in results(world, r.json()["id"])] == [read_id]


def _member(world: Any, role: str) -> str:
    name = f"{role}-{uuid.uuid4().hex[:8]}"
    user = {"username": name, "password": "senha-forte-123", "role": role, "city_id": world.city_a}
    assert world.api.call("POST", "/v1/users", user, world.admin).status == 201
    return str(world.api.login(name, "senha-forte-123"))


def test_only_the_owner_or_a_manager_cancels_a_search(world: Any, videos: dict[str, Path]) -> None:
    # Given video searches of a viewer and of an operator (their messages wait in the queue)
    cam = world.camera(name="Dona da busca")
    t0 = base_time() - timedelta(hours=1, minutes=20)
    register(cam, t0, videos["red"].read_bytes())
    body = {"color": "vermelho", "from": iso(t0), "to": iso(t0 + timedelta(minutes=1)), "camera_ids": [cam["id"]]}
    operator, other_viewer = _member(world, "operator"), _member(world, "viewer")

    def start(token: str) -> str:
        r = world.api.call("POST", "/v1/sentinela/searches", {**body, "analyse_video": True}, token)
        assert r.status == 202, r.text
        return str(r.json()["id"])

    def cancel(search_id: str, token: str) -> int:
        return int(world.api.call("DELETE", f"/v1/sentinela/searches/{search_id}", token=token).status)

    mine, operators = start(world.viewer_a), start(operator)
    # When someone else of the city (a viewer, an operator) tries to cancel it: 403, and it goes on
    assert cancel(mine, other_viewer) == 403 and cancel(mine, operator) == 403
    assert cancel(operators, world.viewer_a) == 403
    assert status(world, mine)["status"] == "processing"
    # Another city's manager does not even see it
    assert cancel(mine, world.manager_b) == 404
    # The owner may; a manager of the city may cancel anyone's
    assert cancel(mine, world.viewer_a) == 200 and cancel(operators, world.manager_a) == 200
    assert status(world, mine)["status"] == status(world, operators)["status"] == "cancelled"


@pytest.fixture()
def real_quotas(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The deployed limits (the suite runs with GTV_QUOTA_SCALE=100), in a one-hour window so a burst never
    straddles two windows."""
    from gtvision.tenancy import quotas

    monkeypatch.setenv("GTV_QUOTA_SCALE", "1")
    monkeypatch.setattr(quotas, "WINDOW", timedelta(hours=1))
    get_settings.cache_clear()
    yield
    monkeypatch.undo()
    get_settings.cache_clear()


def test_searches_and_video_analyses_meet_a_quota_with_retry_after(
    world: Any, videos: dict[str, Path], real_quotas: None
) -> None:
    from gtvision.tenancy import quotas

    cam = world.camera(name="Cota")
    t0 = base_time() - timedelta(hours=1, minutes=40)
    register(cam, t0, videos["red"].read_bytes())
    body = {"color": "vermelho", "from": iso(t0), "to": iso(t0 + timedelta(minutes=1)), "camera_ids": [cam["id"]]}
    video, lpr_only = quotas.LIMITS["sentinela_video"], quotas.LIMITS["sentinela_search"]
    assert video.per_user < lpr_only.per_user <= 20 and video.per_user <= 5
    # When one viewer asks for video analyses in a burst: the per-user limit, then 429 with Retry-After
    codes = [
        world.api.call("POST", "/v1/sentinela/searches", {**body, "analyse_video": True}, world.viewer_a).status
        for _ in range(video.per_user + 1)
    ]
    assert codes == [202] * video.per_user + [429], codes
    r = world.api.call("POST", "/v1/sentinela/searches", {**body, "analyse_video": True}, world.viewer_a)
    assert r.status == 429 and r.json()["error"]["code"] == "quota_exceeded"
    assert 1 <= int(r.headers["retry-after"]) <= 3600
    # and searches of reads have their own (larger) limit, met as well
    used = video.per_user + 2  # every search counts, the refused ones too
    codes = [
        world.api.call("POST", "/v1/sentinela/searches", body, world.viewer_a).status
        for _ in range(lpr_only.per_user - used + 1)
    ]
    assert codes[-1] == 429 and set(codes[:-1]) == {202}, codes
    # Another viewer of the city still may, until the city's limit
    assert world.api.call("POST", "/v1/sentinela/searches", body, _member(world, "viewer")).status == 202


def test_a_camera_recording_both_streams_has_each_span_analysed_once_main_where_it_exists(
    world: Any, videos: dict[str, Path], runtime: dict[str, Any]
) -> None:
    # Given a camera recording its main stream and its sub-stream (two-tier): both tiers start at t0 (the red box
    # crosses), and for the next 40 s only the sub-stream was recorded (a gap in main; the blue box crosses)
    cam = world.camera(name="Dois fluxos")
    t0 = base_time()
    register(cam, t0, videos["red"].read_bytes())
    register(cam, t0, videos["red"].read_bytes(), quality="sub")
    register(cam, t0 + timedelta(seconds=DURATION_S), videos["blue"].read_bytes(), quality="sub")

    # When a red-vehicle search with video analysis covers the 80 s
    body = {
        "color": "vermelho",
        "from": iso(t0),
        "to": iso(t0 + timedelta(seconds=2 * DURATION_S)),
        "camera_ids": [cam["id"]],
        "analyse_video": True,
    }
    r = world.api.call("POST", "/v1/sentinela/searches", body, world.viewer_a)
    assert r.status == 202, r.text
    search_id = r.json()["id"]
    run_until(runtime["SentinelaAnalyseFunction"], lambda: status(world, search_id)["status"] == "completed")

    # Then it planned and analysed one segment per span: main where main was recorded, the sub-stream in main's gap
    with db.transaction() as conn:
        planned = conn.execute(
            "SELECT start_at, segment_quality, status FROM sentinela_segments WHERE search_id = %s ORDER BY start_at",
            (search_id,),
        ).fetchall()
        total = conn.execute("SELECT segments_total FROM sentinela_searches WHERE id = %s", (search_id,)).fetchone()
    assert [(p["start_at"], p["segment_quality"], p["status"]) for p in planned] == [
        (t0, "main", "done"),
        (t0 + timedelta(seconds=DURATION_S), "sub", "done"),
    ]
    assert total is not None and total["segments_total"] == 2
    # And the red box's seconds were found once each (the sub-stream copy of t0 was not analysed again)
    video = [i for i in results(world, search_id) if i["source"] == "video"]
    assert len(video) >= 5
    seconds = [i["captured_at"] for i in video]
    assert len(seconds) == len(set(seconds)), seconds
