"""``gtvision local up --demo``: a demo city and camera recording a test pattern, so the timeline fills live.

The recorder runs in a background thread against the local stack's emulator; its segments reach the
SegmentUploadFunction through the same S3 → SQS path as any upload. Re-running reuses the demo city
and camera (found by name), so a restarted stack keeps extending the same timeline.
"""

from __future__ import annotations

import atexit
import os
import threading
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

from gtvision.core import db
from gtvision.core.timeutil import format_rfc3339
from gtvision.tenancy.store import cameras as cameras_dal
from gtvision.tenancy.store import cities as cities_dal

from . import ports
from .recorder import Recorder

DEMO_CITY = ("Cidade Demonstração", "SP")
DEMO_CAMERA = "Câmera demo (padrão de teste)"
# A private-range address: accepted by the SSRF rules; the recorder reads the test pattern, not this URL.
DEMO_SOURCE_URL = "rtsp://192.168.0.100:554/demo"
DEMO_PATTERN = "lavfi:testsrc2=size=640x360:rate=15"
DEMO_SEGMENT_SECONDS = 10


@dataclass
class Demo:
    """The running demo: its ids and the recorder thread (stopped with `stop()`)."""

    city_id: str
    camera_id: str
    recorder: Recorder
    thread: threading.Thread
    stop_event: threading.Event

    def stop(self, timeout: float = 30.0) -> None:
        self.stop_event.set()
        self.thread.join(timeout)


def ensure_demo_camera() -> tuple[str, str]:
    """(city_id, camera_id) of the demo, created on first use."""
    name, state = DEMO_CITY
    with db.transaction() as conn:
        city = cities_dal.find_by_name(conn, name, state)
        if city is None:
            city = cities_dal.insert(
                conn,
                {
                    "name": name,
                    "state": state,
                    "retention_days": 7,
                    "lpr_retention_days": 30,
                    "camera_limit": 10,
                    "timezone": "America/Sao_Paulo",
                },  # fmt: skip
            )
        city_id = str(city.id)
        camera = cameras_dal.find_by_name(conn, city_id, DEMO_CAMERA)
        if camera is None:
            camera = cameras_dal.insert(
                conn, {"city_id": city_id, "name": DEMO_CAMERA, "source_url": DEMO_SOURCE_URL, "status": "streaming"}
            )
    return city_id, str(camera.id)


def _demo_mediamtx(camera_id: str, recorder: Recorder, thread: threading.Thread) -> None:
    """Without a configured MediaMTX, serve the demo camera's live state (health moves: online, kbps): on the
    stack's MediaMTX port when GTV_PORT_BASE gives it one (unless a MediaMTX already listens there), else on a
    free port."""
    configured = os.environ.get("GTV_MEDIAMTX_API_URL")
    if configured and "GTV_MEDIAMTX_API_URL" not in ports.derived:
        return
    from gtvision.core.settings import get_settings

    from .demo_mediamtx import DemoMediaMTX

    try:
        mtx = DemoMediaMTX(
            camera_id, recorder.bytes_written, thread.is_alive, port=urlsplit(configured or "").port or 0
        )
    except OSError:  # the stack's MediaMTX port is taken: a real MediaMTX serves it
        return
    mtx.start()
    os.environ["GTV_MEDIAMTX_API_URL"] = mtx.url
    get_settings.cache_clear()
    atexit.register(mtx.stop)
    print(f"Demo: MediaMTX de demonstração em {mtx.url} (a saúde da câmera demo é medida a cada minuto)", flush=True)


def run_demo(api_url: str, *, segment_seconds: float = DEMO_SEGMENT_SECONDS, pattern: str = DEMO_PATTERN) -> Demo:
    """Create the demo city and camera and start recording a test pattern into the local stack.

    The caller stops it (``LocalStack.stop`` does, before the emulator goes down, so the last
    segment is closed and uploaded); atexit covers a demo that is never stopped explicitly.
    """
    city_id, camera_id = ensure_demo_camera()
    recorder = Recorder(camera_id, pattern, segment_seconds=segment_seconds)
    stop_event = threading.Event()
    thread = threading.Thread(target=recorder.run, args=(stop_event,), name="demo-recorder", daemon=True)
    thread.start()
    demo = Demo(city_id, camera_id, recorder, thread, stop_event)
    _demo_mediamtx(camera_id, recorder, thread)
    atexit.register(demo.stop)
    now = datetime.now(UTC).replace(microsecond=0)
    span = f"from={format_rfc3339(now - timedelta(hours=1))}&to={format_rfc3339(now + timedelta(hours=1))}"
    api = api_url or "http://127.0.0.1:3000"
    print(
        f"\nDemo: cidade {city_id} · câmera {camera_id}\n"
        f"  gravando um padrão de teste em segmentos de {segment_seconds:g} s (linha do tempo a cada segmento):\n"
        f"  curl -H \"Authorization: Bearer $TOKEN\" '{api}/v1/cameras/{camera_id}/timeline?{span}'\n"
        f"  playlist HLS: {api}/v1/cameras/{camera_id}/playback.m3u8?{span}\n",
        flush=True,
    )
    return demo
