"""End to end: `make run DEMO=1` (no MediaMTX installed) and the console in Chromium plays the demo camera live,
over WebRTC (WHEP) and over HLS, from the stack's built-in MediaMTX; a camera that is not live says why.

The stack runs as `make run` runs it (a subprocess, its own state dir and ports). The time from "Assistir ao
vivo" to the first frame on screen is measured for each transport and printed, never asserted.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from integration.console_browser import SKIP_REASON, Page, browser, chromium_missing
from test_local_up import Http

from gtvision.core import signatures
from gtvision_local.ports import free_port

pytestmark = pytest.mark.skipif(chromium_missing(), reason=SKIP_REASON)

REPO = Path(__file__).resolve().parents[2]
ADMIN_PASSWORD = "senha-admin-ao-vivo-1"
HOOK_SECRET = "segredo-hook-ao-vivo"
#: A frame is on screen: the video has a picture and its clock moves.
PLAYING = "(v) => v.videoWidth > 0 && v.readyState >= 2 && v.currentTime > 0.5"


@pytest.fixture(scope="module")
def demo_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    tmp = tmp_path_factory.mktemp("live-demo")
    api_port, aws_port = free_port(), free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GTV_", "AWS_", "DATABASE_URL", "RECORDINGS_"))}
    env.update(
        GTV_LOCAL_DIR=str(tmp / "state"),
        GTV_API_PORT=str(api_port),
        GTV_WS_PORT=str(free_port()),
        GTV_WS_MANAGEMENT_PORT=str(free_port()),
        AWS_ENDPOINT_URL=f"http://127.0.0.1:{aws_port}",
        GTV_ADMIN_PASSWORD=ADMIN_PASSWORD,
        GTV_MEDIAMTX_HOOK_SECRET=HOOK_SECRET,
        GTV_ARGON2_TIME_COST="1",
        GTV_ARGON2_MEMORY_KIB="1024",
        PATH=str(Path(sys.executable).parent) + ":/usr/bin:/bin",  # no `mediamtx` binary: the built-in one
        PYTHONUNBUFFERED="1",
    )
    log_path = tmp / "local-up.log"
    with open(log_path, "w") as log:
        gtvision = Path(sys.executable).parent / "gtvision"
        proc = subprocess.Popen(
            [str(gtvision), "local", "up", "--demo"], cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT
        )
        try:
            deadline = time.time() + 120
            while not (found := re.search(r"Demo: cidade (\S+) · câmera (\S+)", log_path.read_text())):
                assert proc.poll() is None and time.time() < deadline, log_path.read_text()
                time.sleep(0.5)
            http = Http(f"http://127.0.0.1:{api_port}")
            token = http("POST", "/v1/auth/login", {"username": "admin", "password": ADMIN_PASSWORD})[1]
            yield {
                "http": http,
                "token": token["access_token"],
                "city": found.group(1),
                "camera": found.group(2),
                "log": log_path,
            }
        finally:
            proc.terminate()
            try:
                proc.wait(60)
            except subprocess.TimeoutExpired:
                proc.kill()


@pytest.fixture(scope="module")
def chromium() -> Iterator[Any]:
    with browser() as b:
        yield b


def _watch_live(page: Any) -> float:
    """Click "Assistir ao vivo" and wait for the first frame on screen; ms from the click, as Chromium saw it."""
    page.wait_for_selector("#aovivo button.secondary")
    page.evaluate("""() => {
        const v = document.getElementById('player');
        window.__firstFrameMs = null;
        const t0 = performance.now();
        const tick = () => {
          if (v.videoWidth > 0 && v.readyState >= 2) window.__firstFrameMs = performance.now() - t0;
          else requestAnimationFrame(tick);
        };
        document.querySelector('#aovivo button.secondary').click();
        requestAnimationFrame(tick);
    }""")
    page.wait_for_function("() => window.__firstFrameMs !== null", timeout=30000)
    return float(page.evaluate("() => window.__firstFrameMs"))


def _frame_on_canvas(page: Any) -> list[int]:
    """The middle pixel of the player's current frame drawn on a canvas (RGBA)."""
    return list(
        page.evaluate("""() => {
        const v = document.getElementById('player');
        const c = document.createElement('canvas');
        c.width = v.videoWidth; c.height = v.videoHeight;
        const g = c.getContext('2d');
        g.drawImage(v, 0, 0);
        return Array.from(g.getImageData(Math.floor(c.width / 2), Math.floor(c.height / 2), 1, 1).data);
    }""")
    )


def _plays(page: Any) -> None:
    video = page.locator("#player")
    page.wait_for_function(PLAYING, arg=video.element_handle(), timeout=30000)
    first = video.evaluate("v => v.currentTime")
    page.wait_for_function("([v, t]) => v.currentTime > t + 1", arg=[video.element_handle(), first], timeout=15000)
    assert video.evaluate("v => [v.videoWidth, v.videoHeight]") == [640, 360]
    assert _frame_on_canvas(page)[3] == 255  # opaque: a decoded frame was drawn, not an empty canvas


def test_the_demo_camera_plays_live_in_the_console_over_webrtc_and_over_hls(
    demo_stack: dict[str, Any], chromium: Any
) -> None:
    site, cam = demo_stack["http"].base, demo_stack["camera"]
    tab = Page(chromium, site, locale="pt-BR")
    page = tab.page
    tab.login("admin", ADMIN_PASSWORD)

    # When the operator opens the demo camera and watches it live
    page.goto(f"{site}/console#/cameras/{cam}")
    webrtc_ms = _watch_live(page)

    # Then it plays over WebRTC: its clock advances and its frames draw
    page.wait_for_selector("#player[data-transport='webrtc']", timeout=15000)
    _plays(page)

    # When WebRTC cannot start (the WHEP request fails), the same button plays the HLS stream
    page.route("**/whep", lambda route: route.abort())
    page.goto(f"{site}/console#/mosaicos")
    page.goto(f"{site}/console#/cameras/{cam}")
    hls_ms = _watch_live(page)
    page.wait_for_selector("#player[data-transport='hls']", timeout=15000)
    _plays(page)
    print(f"\ntempo até o primeiro quadro ao vivo: WebRTC {webrtc_ms:.0f} ms · HLS {hls_ms:.0f} ms", flush=True)
    assert not [e for e in tab.errors if "whep" not in e and not e.startswith("Failed to load resource")], tab.errors
    tab.close()


def test_a_camera_that_is_not_live_says_why_instead_of_a_player_error(
    demo_stack: dict[str, Any], chromium: Any
) -> None:
    http, admin, city = demo_stack["http"], demo_stack["token"], demo_stack["city"]
    site = http.base
    # Given a second camera of the demo city, started, that the stack's MediaMTX cannot pull, and MediaMTX's hook
    # saying it went offline
    status, other = http(
        "POST", f"/v1/cities/{city}/cameras", {"name": "Portão sul", "source_url": "rtsp://192.168.0.77/s"}, admin
    )
    assert status == 201, other
    assert http("POST", f"/v1/cameras/{other['id']}/stream/start", None, admin)[0] == 200
    raw = json.dumps({"event": "offline", "path": other["id"]}).encode()
    hook = urllib.request.Request(f"{site}/v1/hooks/mediamtx", data=raw, method="POST")
    hook.add_header("X-GTV-Signature", signatures.sign(HOOK_SECRET, raw, int(time.time())))
    with urllib.request.urlopen(hook, timeout=30) as reply:
        assert reply.status == 202
    tab = Page(chromium, site, locale="pt-BR")
    page = tab.page
    tab.login("admin", ADMIN_PASSWORD)

    # When the operator opens it, and presses "Assistir ao vivo"
    page.goto(f"{site}/console#/cameras/{other['id']}")
    why = page.locator("#aovivo [data-why]")
    # Then the page says it has no signal since the hook's time, and so does the player instead of an error code
    assert re.fullmatch(r"câmera sem sinal desde \d\d:\d\d", why.text_content() or ""), why.text_content()
    page.click("#aovivo button.secondary")
    page.wait_for_function("() => document.getElementById('player').dataset.failed", timeout=30000)
    assert page.locator("#player-info").text_content() == why.text_content()

    # When a manager stops the demo camera's stream, its page says who stopped it and when
    assert http("POST", f"/v1/cameras/{demo_stack['camera']}/stream/stop", None, admin)[0] == 200
    page.goto(f"{site}/console#/cameras/{demo_stack['camera']}")
    assert re.fullmatch(r"transmissão parada por admin às \d\d:\d\d", why.text_content() or ""), why.text_content()
    # And in a mosaic, each tile says why it is not live
    status, mosaic = http(
        "POST",
        "/v1/mosaics",
        {"name": "Portões", "camera_ids": [demo_stack["camera"], other["id"]], "layout": "2x2"},
        admin,
    )
    assert status == 201, mosaic
    page.goto(f"{site}/console#/mosaicos/{mosaic['id']}")
    tile = page.locator(f"[data-tile='{demo_stack['camera']}'] figcaption")
    page.wait_for_function(
        "(t) => t.textContent.includes('transmissão parada por admin')", arg=tile.element_handle(), timeout=30000
    )
    other_tile = page.locator(f"[data-tile='{other['id']}'] figcaption")
    page.wait_for_function(
        "(t) => t.textContent.includes('câmera sem sinal desde')", arg=other_tile.element_handle(), timeout=30000
    )
    tab.close()
