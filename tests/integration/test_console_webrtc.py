"""Live video in the console over WebRTC (WHEP), in a real Chromium against a real WebRTC peer.

The peer is aiortc, sending an H.264 file that ffmpeg made for the test. It speaks WHEP as MediaMTX does
(whep_standin.py). When WebRTC cannot start, the tile falls back to HLS.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from console_browser import SKIP_REASON, Page, browser, chromium_missing, serve_api
from whep_standin import WhepStandIn, serve_whep

from gtvision.media.ffmpeg import run_ffmpeg
from gtvision_local.testmedia import make_video

pytestmark = pytest.mark.skipif(chromium_missing(), reason=SKIP_REASON)

ADMIN = ("admin", "admin-test-password")
PLAYING = "(v) => v.videoWidth > 0 && v.currentTime > 1"


@pytest.fixture(scope="module")
def chromium() -> Iterator[Any]:
    with browser() as b:
        yield b


@pytest.fixture(scope="module")
def cameras(api: Any) -> dict[str, Any]:
    admin = api.login(*ADMIN)
    city = api.call("POST", "/v1/cities", {"name": "Cidade WebRTC", "state": "PR", "retention_days": 7}, token=admin)
    assert city.status == 201, city.text
    cams = []
    for i in (1, 2):
        body = {"name": f"WebRTC cam {i}", "source_url": f"rtsp://10.7.0.{i}/live"}
        cams.append(api.call("POST", f"/v1/cities/{city.json()['id']}/cameras", body, token=admin).json())
    return {"admin": admin, "cameras": cams}


@pytest.fixture()
def live(
    api: Any, cameras: dict[str, Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[str, WhepStandIn, list[Any]]]:
    """The console's API with MediaMTX's WebRTC URL on the WHEP stand-in (which streams the first camera only)
    and its HLS URL on /media, where the second camera has an HLS stream."""
    from gtvision.core.settings import get_settings

    first, second = cameras["cameras"]
    clip = make_video(str(tmp_path / "webrtc.mp4"), 8, fps=15, size="320x240")
    media = tmp_path / "media"
    (media / second["id"]).mkdir(parents=True)
    run_ffmpeg(["-y", "-f", "lavfi", "-i", "testsrc2=size=320x240:rate=15:duration=12", "-c:v", "libx264",
                "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-g", "15", "-f", "hls", "-hls_time", "2",
                "-hls_playlist_type", "vod", str(media / second["id"] / "index.m3u8")], timeout=120)  # fmt: skip
    with serve_whep({first["id"]: clip}) as whep, serve_api(api, media) as site:
        monkeypatch.setenv("GTV_MEDIAMTX_WEBRTC_URL", whep.url)
        monkeypatch.setenv("GTV_MEDIAMTX_HLS_URL", site + "/media")
        get_settings.cache_clear()
        yield site, whep, [first, second]
    monkeypatch.undo()
    get_settings.cache_clear()


def test_a_mosaic_tile_plays_live_over_webrtc_and_falls_back_to_hls_where_webrtc_cannot_start(
    chromium: Any, api: Any, cameras: dict[str, Any], live: tuple[str, WhepStandIn, list[Any]]
) -> None:
    site, whep, (first, second) = live
    mosaic = api.call("POST", "/v1/mosaics", {"name": "Mosaico WebRTC", "camera_ids": [first["id"], second["id"]],
                                              "layout": "2x2"}, token=cameras["admin"])  # fmt: skip
    assert mosaic.status == 201, mosaic.text
    tab = Page(chromium, site, locale="pt-BR")
    page = tab.page
    page.set_default_timeout(20000)
    tab.login(*ADMIN)

    # When the operator opens the mosaic
    page.goto(f"{site}/console#/mosaicos/{mosaic.json()['id']}")
    webrtc_tile = page.locator(f"[data-tile='{first['id']}']")
    hls_tile = page.locator(f"[data-tile='{second['id']}']")
    # Then the first camera plays over WebRTC: frames of the test's video, from the stand-in's peer
    webrtc_tile.locator("video[data-transport='webrtc']").wait_for()
    page.wait_for_function(PLAYING, arg=webrtc_tile.locator("video").element_handle())
    assert webrtc_tile.locator("video").evaluate("v => [v.videoWidth, v.videoHeight]") == [320, 240]
    assert "WebRTC" in (webrtc_tile.locator("figcaption").text_content() or "")
    # ... offered as WHEP does it: one SDP offer in a POST to <webrtc url>/<camera>/whep (after CORS preflight)
    posts = [r for r in whep.requests if r[0] == "POST"]
    assert ("POST", f"/{first['id']}/whep", "application/sdp") in posts
    assert ("OPTIONS", f"/{first['id']}/whep", "") in whep.requests
    assert len(whep.sessions) == 1
    # And the second camera, which the WebRTC server has no stream for (404), plays its HLS stream instead
    assert ("POST", f"/{second['id']}/whep", "application/sdp") in posts
    hls_tile.locator("video[data-transport='hls']").wait_for()
    page.wait_for_function(PLAYING, arg=hls_tile.locator("video").element_handle())

    # When the operator leaves the screen, the WebRTC session is ended on the server (DELETE of its Location)
    page.goto(f"{site}/console#/mosaicos")
    page.wait_for_selector("#tela-mosaicos:not([hidden])")
    deadline = 50  # the DELETE is sent as the tile stops; give it up to 5 s to arrive
    while whep.sessions and deadline:
        page.wait_for_timeout(100)
        deadline -= 1
    assert whep.sessions == {}
    assert any(m == "DELETE" and p.startswith(f"/{first['id']}/whep/") for m, p, _ in whep.requests)
    assert not [e for e in tab.errors if not e.startswith("Failed to load resource")] and not tab.dialogs
    tab.close()


def test_the_whep_stand_in_answers_as_mediamtx_does(live: tuple[str, WhepStandIn, list[Any]]) -> None:
    """The stand-in's refusals, which the console's fallback relies on: 404 without a stream, 400 without SDP."""
    import requests

    _, whep, (first, second) = live
    assert requests.post(f"{whep.url}/{second['id']}/whep", data="v=0", headers={"Content-Type": "application/sdp"},
                         timeout=10).status_code == 404  # fmt: skip
    assert requests.post(f"{whep.url}/{first['id']}/whep", data="{}", headers={"Content-Type": "application/json"},
                         timeout=10).status_code == 400  # fmt: skip
    preflight = requests.options(f"{whep.url}/{first['id']}/whep", timeout=10)
    assert preflight.status_code == 204 and "Location" in preflight.headers["Access-Control-Expose-Headers"]
    assert requests.delete(f"{whep.url}/{first['id']}/whep/no-such-session", timeout=10).status_code == 404
