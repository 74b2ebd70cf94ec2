"""Recordings API over real segments: timeline, thumbnails, HLS playback decoded by ffmpeg; live streams."""

from __future__ import annotations

import re
import socket
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
import recording_support as rs
import requests
from mediamtx_standin import FakeMediaMTX, fake, spec  # noqa: F401 - fixtures reused as they are
from utils import iso

from gtvision.core import db
from gtvision.core.settings import get_settings
from gtvision.media import ffmpeg
from gtvision.recordings.service import segment_key
from gtvision_local.testmedia import make_segments

T0 = datetime(2026, 11, 21, 9, 0, tzinfo=UTC)


def _range(start: datetime, end: datetime) -> dict[str, str]:
    return {"from": iso(start), "to": iso(end)}


@pytest.fixture(scope="module")
def recorded(stack, tmp_path_factory) -> dict[str, object]:
    """Given a camera of city A with 3 contiguous 2 s segments, a 4 s gap, then 1 more segment (uploaded + handled)."""
    from utils import ApiClient, World

    world = World.build(ApiClient.for_app())
    camera = str(world.camera(username="operador", password="s3nh@-Secreta!")["id"])
    tmp = tmp_path_factory.mktemp("rec")
    segs = make_segments(str(tmp / "a"), 3, 2, start=T0, fmt="ts")
    segs += make_segments(str(tmp / "b"), 1, 2, start=T0 + timedelta(seconds=10), fmt="ts")
    keys = {segment_key(camera, s.start, "ts") for s in segs}
    for seg in segs:
        rs.upload(segment_key(camera, seg.start, "ts"), seg.url_or_path)
    assert rs.deliver(keys) == {"batchItemFailures": []}
    return {"world": world, "camera": camera, "segments": segs}


def test_timeline_spans_gaps_coverage_and_count(recorded) -> None:
    world, camera = recorded["world"], recorded["camera"]
    # When a viewer of the city asks for the minute around the recording
    r = world.api.call(
        "GET",
        f"/v1/cameras/{camera}/timeline",
        token=world.viewer_a,
        query=_range(T0 - timedelta(seconds=4), T0 + timedelta(seconds=16)),
    )
    assert r.status == 200, r.text
    body = r.json()
    # Then the contiguous segments are one span, the gap is a gap, and coverage is 8 of 20 s
    assert body["camera_id"] == camera and body["segments"] == 4
    assert body["from"] == iso(T0 - timedelta(seconds=4)) and body["to"] == iso(T0 + timedelta(seconds=16))
    spans = [(s["start"], s["end"]) for s in body["spans"]]
    assert [s for s, _ in spans] == [iso(T0), iso(T0 + timedelta(seconds=10))]
    assert spans[0][1].startswith("2026-11-21T09:00:0") and len(spans) == 2
    gaps = [(g["start"], g["end"]) for g in body["gaps"]]
    assert gaps[0] == (iso(T0 - timedelta(seconds=4)), iso(T0))
    assert gaps[1][1] == iso(T0 + timedelta(seconds=10)) and gaps[2][1] == iso(T0 + timedelta(seconds=16))
    assert body["coverage"] == pytest.approx(8 / 20, abs=0.01)

    # And a range cut inside a segment is clipped to the range
    r = world.api.call(
        "GET",
        f"/v1/cameras/{camera}/timeline",
        token=world.viewer_a,
        query=_range(T0 + timedelta(seconds=1), T0 + timedelta(seconds=3)),
    )
    assert r.json()["spans"] == [{"start": iso(T0 + timedelta(seconds=1)), "end": iso(T0 + timedelta(seconds=3))}]
    assert r.json()["coverage"] == 1.0 and r.json()["gaps"] == [] and r.json()["segments"] == 2


@pytest.mark.parametrize(
    "query",
    [
        {},
        {"from": "2026-11-21T09:00:00Z"},
        {"from": "ontem", "to": "2026-11-21T10:00:00Z"},
        {"from": "2026-11-21T09:00:00", "to": "2026-11-21T10:00:00"},
        {"from": "2026-11-21T10:00:00Z", "to": "2026-11-21T09:00:00Z"},
        {"from": "2026-10-01T00:00:00Z", "to": "2026-11-21T00:00:00Z"},
    ],
)
def test_invalid_ranges_are_422(recorded, query) -> None:
    world, camera = recorded["world"], recorded["camera"]
    for route in ("timeline", "thumbnails", "playback.m3u8"):
        r = world.api.call("GET", f"/v1/cameras/{camera}/{route}", token=world.viewer_a, query=query)
        assert r.status == 422, (route, query, r.text)
        assert r.json()["error"]["code"] == "invalid_range"


def test_thumbnails_are_presigned_jpegs_paged(recorded) -> None:
    world, camera = recorded["world"], recorded["camera"]
    query = _range(T0, T0 + timedelta(minutes=1))
    r = world.api.call("GET", f"/v1/cameras/{camera}/thumbnails", token=world.viewer_a, query={**query, "limit": "3"})
    assert r.status == 200, r.text
    page = r.json()
    assert [i["at"] for i in page["items"]] == [iso(T0 + timedelta(seconds=s)) for s in (0, 2, 4)]
    assert page["next_cursor"]
    r = world.api.call(
        "GET",
        f"/v1/cameras/{camera}/thumbnails",
        token=world.viewer_a,
        query={**query, "limit": "3", "cursor": page["next_cursor"]},
    )
    rest = r.json()
    assert [i["at"] for i in rest["items"]] == [iso(T0 + timedelta(seconds=10))] and rest["next_cursor"] is None
    # The browser loads them straight from storage: real JPEGs, 160x90
    for item in page["items"] + rest["items"]:
        got = requests.get(item["url"], timeout=10)
        assert got.status_code == 200
        assert rs.jpeg_size(got.content) == (160, 90)


def test_playback_playlist_is_hls_vod_and_decodes_to_the_recorded_duration(recorded, tmp_path) -> None:
    world, camera = recorded["world"], recorded["camera"]
    r = world.api.call(
        "GET",
        f"/v1/cameras/{camera}/playback.m3u8",
        token=world.viewer_a,
        query=_range(T0 - timedelta(minutes=1), T0 + timedelta(minutes=1)),
    )
    assert r.status == 200, r.text
    assert r.headers["content-type"] == "application/vnd.apple.mpegurl"
    text = r.text
    lines = text.splitlines()
    assert lines[0] == "#EXTM3U" and lines[-1] == "#EXT-X-ENDLIST"
    for tag in ("#EXT-X-VERSION:", "#EXT-X-TARGETDURATION:2", "#EXT-X-PLAYLIST-TYPE:VOD"):
        assert any(line.startswith(tag) for line in lines), tag
    assert len([line for line in lines if line.startswith("#EXTINF:")]) == 4
    # a discontinuity where the recording stops, before the segment after the gap
    before_last = text.rsplit("#EXTINF", 1)[0]
    assert before_last.rstrip().splitlines()[-2] == "#EXT-X-DISCONTINUITY"

    # ffmpeg plays it over HTTP from the storage emulator: every recorded frame, 8 s of video
    playlist = tmp_path / "playback.m3u8"
    playlist.write_text(text)
    proc = ffmpeg.run_ffmpeg(["-i", str(playlist), "-map", "0:v:0", "-f", "null", "-"], timeout=60)
    frames = int(re.findall(r"frame=\s*(\d+)", proc.stderr)[-1])
    assert frames == 4 * 2 * 25


def test_playback_range_is_at_most_a_day(recorded) -> None:
    world, camera = recorded["world"], recorded["camera"]
    query = _range(T0, T0 + timedelta(hours=24, seconds=1))
    r = world.api.call("GET", f"/v1/cameras/{camera}/playback.m3u8", token=world.viewer_a, query=query)
    assert r.status == 422 and "24 horas" in r.json()["error"]["message"]
    assert world.api.call("GET", f"/v1/cameras/{camera}/timeline", token=world.viewer_a, query=query).status == 200


def test_playback_of_an_empty_range_is_404(recorded) -> None:
    world, camera = recorded["world"], recorded["camera"]
    r = world.api.call(
        "GET",
        f"/v1/cameras/{camera}/playback.m3u8",
        token=world.viewer_a,
        query=_range(T0 + timedelta(hours=1), T0 + timedelta(hours=2)),
    )
    assert r.status == 404 and r.json()["error"]["code"] == "not_found"


def test_reads_are_audited(recorded) -> None:
    world, camera = recorded["world"], recorded["camera"]
    query = _range(T0, T0 + timedelta(minutes=1))
    for route in ("timeline", "thumbnails", "playback.m3u8"):
        assert world.api.call("GET", f"/v1/cameras/{camera}/{route}", token=world.viewer_a, query=query).status == 200
    with db.transaction() as conn:
        rows = conn.execute(
            "SELECT action, resource, city_id, status FROM audit_log WHERE resource LIKE %s ORDER BY id DESC LIMIT 3",
            (f"/v1/cameras/{camera}/%",),
        ).fetchall()
    assert {r["action"] for r in rows} == {"recordings.timeline", "recordings.thumbnails", "recordings.playback"}
    assert all(str(r["city_id"]) == world.city_a and r["status"] == 200 for r in rows)


def test_other_city_gets_404_on_every_route(recorded) -> None:
    world, camera = recorded["world"], recorded["camera"]
    query = _range(T0, T0 + timedelta(minutes=1))
    for token in (world.viewer_b, world.manager_b):
        for route in ("timeline", "thumbnails", "playback.m3u8", "stream"):
            r = world.api.call("GET", f"/v1/cameras/{camera}/{route}", token=token, query=query)
            assert r.status == 404, (route, r.text)
        for route in ("stream/start", "stream/stop"):
            assert world.api.call("POST", f"/v1/cameras/{camera}/{route}", token=token).status == 404, route


# ---------------------------------------------------------------- live streams


@pytest.fixture()
def mediamtx_at(monkeypatch) -> Iterator[object]:
    def point(url: str) -> None:
        monkeypatch.setenv("GTV_MEDIAMTX_API_URL", url)
        monkeypatch.setenv("GTV_MEDIAMTX_HLS_URL", "https://live.example.gov.br:8888")
        get_settings.cache_clear()

    yield point
    monkeypatch.undo()
    get_settings.cache_clear()


def test_stream_start_get_stop_through_mediamtx(recorded, fake: FakeMediaMTX, mediamtx_at) -> None:  # noqa: F811
    world, camera = recorded["world"], recorded["camera"]
    mediamtx_at(fake.url)
    api = world.api
    # A viewer may watch but not start or stop
    assert api.call("POST", f"/v1/cameras/{camera}/stream/start", token=world.viewer_a).status == 403
    assert fake.confs == {}

    # When a manager starts the stream
    r = api.call("POST", f"/v1/cameras/{camera}/stream/start", token=world.manager_a)
    assert r.status == 200, r.text
    body = r.json()
    # Then MediaMTX pulls the camera with its credentials and records it; the answer has URLs, no secret
    assert body["status"] == "streaming"
    assert body["urls"]["hls"] == f"https://live.example.gov.br:8888/{camera}/index.m3u8"
    assert set(body["urls"]) == {"hls", "webrtc", "rtsp", "sub"} and body["urls"]["sub"] is None  # no sub-stream
    assert fake.confs[camera]["source"] == "rtsp://operador:s3nh%40-Secreta%21@192.168.10.20:554/stream1"
    assert fake.confs[camera]["record"] is True
    assert "s3nh" not in r.text
    shown = api.call("GET", f"/v1/cameras/{camera}", token=world.viewer_a).json()
    assert shown["stream_status"] == "streaming" and shown["status"] == "unknown"  # not observed yet

    # The viewer sees the live state once MediaMTX has the stream online
    fake.go_live(camera, readers=2)
    got = api.call("GET", f"/v1/cameras/{camera}/stream", token=world.viewer_a)
    assert got.status == 200, got.text
    live = got.json()["live"]
    assert live["ready"] is True and live["readers"] == 2 and live["tracks"][0]["codec"] == "H264"

    # When stopped, the path is gone from MediaMTX and the camera is stopped
    r = api.call("POST", f"/v1/cameras/{camera}/stream/stop", token=world.manager_a)
    assert r.status == 200 and r.json()["status"] == "stopped"
    assert camera not in fake.confs
    got = api.call("GET", f"/v1/cameras/{camera}/stream", token=world.viewer_a).json()
    assert got["status"] == "stopped" and got["urls"] is None and got["live"] is None


def test_stream_start_when_mediamtx_is_down_is_503(recorded, mediamtx_at) -> None:
    world, camera = recorded["world"], recorded["camera"]
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    mediamtx_at(f"http://127.0.0.1:{port}")
    r = world.api.call("POST", f"/v1/cameras/{camera}/stream/start", token=world.manager_a)
    assert r.status == 503
    assert r.json()["error"] == {
        "code": "mediamtx_unavailable",
        "message": "Servidor de vídeo ao vivo (MediaMTX) indisponível no momento. Tente novamente em instantes.",
    }
    assert "127.0.0.1" not in r.text
