"""Live video of the local stack without MediaMTX: the built-in stand-in (gtvision_local.demo_mediamtx) serves
a path's real H.264 over HLS and WebRTC (WHEP) at a MediaMTX node's URLs and answers the control API as the
reference spec says, so stream start/stop, the health poller and viewers see one world.

Real ffmpeg on a lavfi pattern, a real aiortc WebRTC client, real PostgreSQL and the API through API Gateway
events; the control API's answers are validated against MediaMTX's OpenAPI document (strict).
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import requests
from mediamtx_standin import spec  # noqa: F401 - fixture reused as it is
from openapi_core import OpenAPI
from openapi_core.testing import MockRequest, MockResponse

from gtvision.core.settings import get_settings
from gtvision.health import poll as stream_health
from gtvision.media.ffmpeg import probe_with_ffmpeg, run_ffmpeg
from gtvision_local.demo_mediamtx import DemoMediaMTX

PATTERN = "lavfi:testsrc2=size=320x240:rate=15"
PATH = "camera-de-teste"


def _validated(openapi: OpenAPI, method: str, path: str, reply: requests.Response, **args: str) -> Any:
    """The stand-in's JSON answer, after checking it against the spec (codecProps aside: the spec's H264 and
    H265 props are identical, so its oneOf can match neither)."""
    body = reply.json()
    for item in body.get("items", [body]) if isinstance(body, dict) else []:
        for track in item.get("tracks2") or []:
            track.pop("codecProps", None)
    request = MockRequest("http://localhost:9997", method.lower(), path, args=args)
    openapi.validate_response(request, MockResponse(json.dumps(body).encode(), reply.status_code))
    return reply.json()


@pytest.fixture()
def mtx() -> Iterator[DemoMediaMTX]:
    server = DemoMediaMTX({PATH: PATTERN}).start()
    yield server
    server.stop()


def _online(mtx: DemoMediaMTX, name: str = PATH) -> None:
    """Until the control API says the path is online (its source connected), as a client would wait."""
    deadline = time.monotonic() + 15
    while not requests.get(f"{mtx.url}/v3/paths/get/{name}", timeout=10).json().get("online"):
        assert time.monotonic() < deadline, f"{name} never came online"
        time.sleep(0.1)


def _add(mtx: DemoMediaMTX, name: str = PATH) -> requests.Response:
    return requests.post(
        f"{mtx.url}/v3/config/paths/add/{name}", json={"source": "rtsp://192.168.0.9/x", "record": True}, timeout=10
    )


def _whep_client(mtx: DemoMediaMTX, name: str, frames: int) -> dict[str, Any]:
    """An aiortc viewer: offer, the WHEP answer, then `frames` decoded frames (their sizes) and the path's readers
    while it watched."""
    from aiortc import RTCPeerConnection, RTCSessionDescription

    async def run() -> dict[str, Any]:
        pc = RTCPeerConnection()
        pc.addTransceiver("video", direction="recvonly")
        done: asyncio.Future[list[tuple[int, int]]] = asyncio.get_running_loop().create_future()

        @pc.on("track")
        def on_track(track: Any) -> None:
            async def read() -> None:
                sizes = []
                for _ in range(frames):
                    frame = await track.recv()
                    sizes.append((frame.width, frame.height))
                done.set_result(sizes)

            asyncio.ensure_future(read())

        await pc.setLocalDescription(await pc.createOffer())
        reply = await asyncio.to_thread(
            requests.post,
            f"{mtx.whep.url}/{name}/whep",
            data=pc.localDescription.sdp,
            headers={"Content-Type": "application/sdp"},
            timeout=20,
        )
        out: dict[str, Any] = {"status": reply.status_code, "headers": reply.headers, "sdp": reply.text}
        if reply.status_code == 201:
            await pc.setRemoteDescription(RTCSessionDescription(reply.text, "answer"))
            out["sizes"] = await asyncio.wait_for(done, 30)
            out["readers"] = requests.get(f"{mtx.url}/v3/paths/get/{name}", timeout=10).json()["readers"]
        await pc.close()
        return out

    return asyncio.run(run())


def test_a_started_path_is_online_and_its_hls_playlist_gives_segments_ffmpeg_decodes(
    mtx: DemoMediaMTX,
    spec: OpenAPI,  # noqa: F811
    tmp_path: Path,
) -> None:
    # Given the stand-in with a test pattern for one path, not yet configured: nothing is served
    assert requests.get(f"{mtx.hls.url}/{PATH}/index.m3u8", timeout=10).status_code == 404
    assert (
        _validated(spec, "GET", "/v3/paths/list", requests.get(f"{mtx.url}/v3/paths/list", timeout=10))["items"] == []
    )

    # When the path is added as GT-Vision adds a camera's
    assert _add(mtx).json() == {"status": "ok"}
    assert _add(mtx).status_code == 400  # MediaMTX: "path already exists"

    # Then its HLS playlist lists segments, and a segment is H.264 at the pattern's size that ffmpeg decodes
    playlist = requests.get(f"{mtx.hls.url}/{PATH}/index.m3u8", timeout=20)
    assert playlist.status_code == 200 and playlist.headers["Content-Type"] == "application/vnd.apple.mpegurl"
    assert playlist.headers["Access-Control-Allow-Origin"] == "*"
    segments = [line for line in playlist.text.splitlines() if line.endswith(".ts")]
    assert segments and "#EXT-X-PROGRAM-DATE-TIME" in playlist.text
    segment = requests.get(f"{mtx.hls.url}/{PATH}/{segments[0]}", timeout=10)
    assert segment.status_code == 200 and segment.headers["Content-Type"] == "video/MP2T"
    local = tmp_path / "segment.ts"
    local.write_bytes(segment.content)
    info = probe_with_ffmpeg(str(local), 30)
    assert (info.video_codec, info.width, info.height) == ("h264", 320, 240) and info.frame_count
    decoded = run_ffmpeg(["-i", str(local), "-f", "framemd5", "-"], 30).stdout
    assert len([line for line in decoded.splitlines() if line and not line.startswith("#")]) == info.frame_count

    # And the control API shows it online, per the spec, with bytes flowing in and its video track
    deadline = time.monotonic() + 10
    while (
        got := _validated(
            spec, "GET", f"/v3/paths/get/{PATH}", requests.get(f"{mtx.url}/v3/paths/get/{PATH}", timeout=10)
        )
    )["inboundBytes"] < 10_000:
        assert time.monotonic() < deadline, got
        time.sleep(0.2)
    assert got["online"] is True and got["available"] is True and got["onlineTime"]
    listed = requests.get(f"{mtx.url}/v3/paths/list", timeout=10).json()
    assert [(p["name"], p["tracks2"]) for p in listed["items"]] == [
        (PATH, [{"codec": "H264", "codecProps": {"width": 320, "height": 240}}])
    ]
    conf = _validated(
        spec, "GET", f"/v3/config/paths/get/{PATH}", requests.get(f"{mtx.url}/v3/config/paths/get/{PATH}", timeout=10)
    )
    assert conf == {"name": PATH, "source": "rtsp://192.168.0.9/x", "record": True}


def test_whep_answers_an_offer_with_201_and_an_aiortc_viewer_receives_frames(
    mtx: DemoMediaMTX,
    spec: OpenAPI,  # noqa: F811
) -> None:
    # Given a started path, online
    assert _add(mtx).status_code == 200
    _online(mtx)

    # When a WebRTC viewer offers to the path's WHEP endpoint
    viewer = _whep_client(mtx, PATH, frames=15)

    # Then it is answered with 201, an SDP answer offering H.264 and a session location, and frames arrive
    assert viewer["status"] == 201, viewer["sdp"]
    assert viewer["headers"]["Content-Type"] == "application/sdp"
    assert viewer["headers"]["Location"].startswith(f"/{PATH}/whep/")
    assert "H264/90000" in viewer["sdp"] and "VP8" not in viewer["sdp"]
    assert set(viewer["sizes"]) == {(320, 240)}
    # ... and, while it watched, MediaMTX's control API listed it as a reader of the path
    assert [r["type"] for r in viewer["readers"]] == ["webRTCSession"]

    # And the refusals MediaMTX makes: no such path, not SDP, an unknown session
    other = requests.post(
        f"{mtx.whep.url}/nao-existe/whep", data="v=0", timeout=10, headers={"Content-Type": "application/sdp"}
    )
    assert other.status_code == 404
    assert (
        requests.post(
            f"{mtx.whep.url}/{PATH}/whep", data="{}", timeout=10, headers={"Content-Type": "application/json"}
        ).status_code
        == 400
    )
    assert requests.delete(f"{mtx.whep.url}/{PATH}/whep/sessao-inexistente", timeout=10).status_code == 404
    assert requests.options(f"{mtx.whep.url}/{PATH}/whep", timeout=10).status_code == 204


def test_a_deleted_path_stops_its_media_closes_its_viewers_and_leaves_the_list(
    mtx: DemoMediaMTX,
    spec: OpenAPI,  # noqa: F811
) -> None:
    # Given a started path with its media flowing
    changes: list[tuple[str, bool]] = []
    mtx.on_change = lambda name, configured: changes.append((name, configured))
    assert _add(mtx).status_code == 200
    assert requests.get(f"{mtx.hls.url}/{PATH}/index.m3u8", timeout=20).status_code == 200
    feed = mtx.feed(PATH)
    assert feed is not None

    # When GT-Vision deletes it (stream stop)
    deleted = requests.delete(f"{mtx.url}/v3/config/paths/delete/{PATH}", timeout=20)

    # Then HLS and WHEP answer 404, the path is gone from the list and config, and its ffmpeg ended
    assert _validated(spec, "DELETE", f"/v3/config/paths/delete/{PATH}", deleted) == {"status": "ok"}
    assert requests.get(f"{mtx.hls.url}/{PATH}/index.m3u8", timeout=10).status_code == 404
    assert (
        requests.post(
            f"{mtx.whep.url}/{PATH}/whep", data="v=0", timeout=10, headers={"Content-Type": "application/sdp"}
        ).status_code
        == 404
    )
    assert requests.get(f"{mtx.url}/v3/paths/list", timeout=10).json()["items"] == []
    missing = requests.get(f"{mtx.url}/v3/paths/get/{PATH}", timeout=10)
    assert missing.status_code == 404 and _validated(spec, "GET", f"/v3/paths/get/{PATH}", missing)["status"] == "error"
    assert feed._proc is not None and feed._proc.poll() is not None
    assert requests.delete(f"{mtx.url}/v3/config/paths/delete/{PATH}", timeout=10).status_code == 404
    # And whoever follows the paths (the demo's recorder) heard both changes
    deadline = time.monotonic() + 5
    while len(changes) < 2 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert sorted(changes) == [(PATH, False), (PATH, True)]


def test_a_path_without_a_local_source_is_configured_but_listed_offline(mtx: DemoMediaMTX, spec: OpenAPI) -> None:  # noqa: F811
    # When a camera the stand-in cannot pull is started
    assert _add(mtx, "camera-real").status_code == 200

    # Then it is listed, offline with nothing flowing, as MediaMTX lists a camera it cannot reach
    listed = _validated(spec, "GET", "/v3/paths/list", requests.get(f"{mtx.url}/v3/paths/list", timeout=10))
    assert [(p["name"], p["online"], p["inboundBytes"]) for p in listed["items"]] == [("camera-real", False, 0)]
    assert requests.get(f"{mtx.hls.url}/camera-real/index.m3u8", timeout=10).status_code == 404


def test_stream_start_and_stop_through_the_api_drive_the_stand_in_and_the_health_poll(
    world: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a camera whose path the stand-in can serve, and GT-Vision pointed at the stand-in
    cam = world.camera(name="Ao vivo local")["id"]
    mtx = DemoMediaMTX({cam: PATTERN}).start()
    for name, value in mtx.urls.items():
        monkeypatch.setenv(name, value)
    get_settings.cache_clear()
    try:
        # When a manager starts the stream
        started = world.api.call("POST", f"/v1/cameras/{cam}/stream/start", token=world.manager_a)
        assert started.status == 200, started.text
        urls = started.json()["urls"]

        # Then the URLs GT-Vision gives are the stand-in's, and its HLS plays
        assert urls["hls"] == f"{mtx.hls.url}/{cam}/index.m3u8" and urls["webrtc"] == f"{mtx.whep.url}/{cam}"
        assert requests.get(urls["hls"], timeout=20).status_code == 200
        stream = world.api.call("GET", f"/v1/cameras/{cam}/stream", token=world.viewer_a).json()
        assert stream["live"]["ready"] is True
        assert stream["live"]["tracks"] == [{"codec": "H264", "width": 320, "height": 240}]

        # And two health polls a few seconds apart see it online with bits flowing in
        stream_health.poll(now=datetime.now(UTC))
        time.sleep(2.5)
        stream_health.poll(now=datetime.now(UTC))
        metrics = world.api.call("GET", f"/v1/cameras/{cam}/stream/metrics", token=world.viewer_a).json()
        assert metrics["status"] == "online" and metrics["current"]["inbound_kbps"] > 10, metrics

        # When the manager stops it, the live URLs are gone with it
        assert world.api.call("POST", f"/v1/cameras/{cam}/stream/stop", token=world.manager_a).status == 200
        assert requests.get(urls["hls"], timeout=10).status_code == 404
        assert mtx.feed(cam) is None
    finally:
        mtx.stop()
        monkeypatch.undo()
        get_settings.cache_clear()
