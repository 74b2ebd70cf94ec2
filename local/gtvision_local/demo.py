"""``gtvision local up --demo``: a demo city and camera recording a test pattern, so the timeline fills live,
and the camera live in the console (HLS and WebRTC) through the MediaMTX that ``live_edge`` picks.

The recorder runs in a background thread against the local stack's emulator; its segments reach the
SegmentUploadFunction through the same S3 → SQS path as any upload. With the built-in MediaMTX the
recording follows the camera's path as MediaMTX's does: stopping the stream (which deletes the path) stops
recording, starting it records again. Re-running reuses the demo city and camera (found by name), so a
restarted stack keeps extending the same timeline.
"""

from __future__ import annotations

import atexit
import os
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from gtvision.core.settings import get_settings
from gtvision.core.timeutil import format_rfc3339
from gtvision.tenancy import cameras

from .recorder import Recorder

if TYPE_CHECKING:
    from .live_edge import Edge

DEMO_CITY = ("Cidade Demonstração", "SP")
DEMO_CAMERA = "Câmera demo (padrão de teste)"
# A private-range address: accepted by the SSRF rules; the recorder reads the test pattern, not this URL.
DEMO_SOURCE_URL = "rtsp://192.168.0.100:554/demo"
DEMO_PATTERN = "lavfi:testsrc2=size=640x360:rate=15"
DEMO_SEGMENT_SECONDS = 10


class DemoRecording:
    """The demo camera's recorder, started and stopped as its path comes and goes (a new Recorder each run)."""

    def __init__(self, camera_id: str, pattern: str, segment_seconds: float) -> None:
        self.camera_id = camera_id
        self.pattern = pattern
        self.segment_seconds = segment_seconds
        self._done: list[str] = []  # keys uploaded by the runs that ended
        self._lock = threading.Lock()
        self._run: tuple[Recorder, threading.Thread, threading.Event] | None = None

    @property
    def uploaded(self) -> list[str]:
        """Every key this demo uploaded so far (ended runs and the current one)."""
        run = self._run
        return self._done + (list(run[0].result.uploaded) if run is not None else [])

    @property
    def running(self) -> bool:
        return self._run is not None and self._run[1].is_alive()

    def start(self) -> None:
        with self._lock:
            if self.running:
                return
            if self._run is not None:  # a run that ended on its own (ffmpeg failed)
                self._done += self._run[0].result.uploaded
            recorder = Recorder(self.camera_id, self.pattern, segment_seconds=self.segment_seconds)
            stop = threading.Event()
            thread = threading.Thread(target=recorder.run, args=(stop,), name="demo-recorder", daemon=True)
            self._run = (recorder, thread, stop)
            thread.start()

    def stop(self, timeout: float = 30.0) -> None:
        """Close the current segment and upload it (while the emulator still runs)."""
        with self._lock:
            run = self._run
            if run is None:
                return
            run[2].set()
            run[1].join(timeout)
            self._done += run[0].result.uploaded
            self._run = None

    def follow(self, path: str, configured: bool) -> None:
        """A path of the built-in MediaMTX was added or deleted: record while the demo camera's exists."""
        if path != self.camera_id:
            return
        if configured:
            self.start()
        else:
            self.stop()


@dataclass
class Demo:
    """The running demo: its ids, its recording and the MediaMTX it started (stopped with `stop()`)."""

    city_id: str
    camera_id: str
    recording: DemoRecording
    edge: Edge | None = None
    saved_env: dict[str, str | None] = field(default_factory=dict)

    def stop(self, timeout: float = 30.0) -> None:
        self.recording.stop(timeout)
        if self.edge is not None:
            self.edge.stop()
            self.edge = None
        for name, value in self.saved_env.items():  # the URLs pointed at what just stopped
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        self.saved_env = {}
        get_settings.cache_clear()


def ensure_demo_camera() -> tuple[str, str]:
    """(city_id, camera_id) of the demo, created on first use."""
    name, state = DEMO_CITY
    city = {
        "name": name,
        "state": state,
        "retention_days": 7,
        "lpr_retention_days": 30,
        "camera_limit": 10,
        "timezone": "America/Sao_Paulo",
    }
    return cameras.ensure_named(city, DEMO_CAMERA, DEMO_SOURCE_URL)


def _camera_streams(camera_id: str) -> bool:
    camera = cameras.get_any(camera_id)
    return camera is not None and camera.status == "streaming"


def _start_live(demo: Demo, api_url: str, pattern: str) -> None:
    """Live video of the demo camera through the MediaMTX `live_edge` picks (none when one is configured)."""
    from .live_edge import start_edge

    names = ("GTV_MEDIAMTX_API_URL", "GTV_MEDIAMTX_HLS_URL", "GTV_MEDIAMTX_WEBRTC_URL", "GTV_MEDIAMTX_RTSP_URL")
    saved = {name: os.environ.get(name) for name in names}
    demo.edge = start_edge(api_url, {demo.camera_id: pattern}, demo.recording.follow)
    if demo.edge is None:
        demo.recording.start()  # a MediaMTX elsewhere: the demo records on its own, as before
        return
    demo.saved_env = saved
    urls = demo.edge.urls
    print(
        f"Demo: MediaMTX em {urls['GTV_MEDIAMTX_API_URL']} · HLS {urls['GTV_MEDIAMTX_HLS_URL']}"
        f" · WebRTC {urls['GTV_MEDIAMTX_WEBRTC_URL']}",
        flush=True,
    )
    from .live_edge import StandIn

    if not isinstance(demo.edge, StandIn):
        demo.recording.start()  # a real MediaMTX pulls cameras; the test pattern is recorded by the demo
    elif _camera_streams(demo.camera_id):  # as the API would on start: the path (and so the recording) begins
        demo.edge.mediamtx.add_path(demo.camera_id, {"source": DEMO_SOURCE_URL, "record": True})


def run_demo(api_url: str, *, segment_seconds: float = DEMO_SEGMENT_SECONDS, pattern: str = DEMO_PATTERN) -> Demo:
    """Create the demo city and camera, serve it live and record a test pattern into the local stack.

    The caller stops it (``LocalStack.stop`` does, before the emulator goes down, so the last
    segment is closed and uploaded); atexit covers a demo that is never stopped explicitly.
    """
    city_id, camera_id = ensure_demo_camera()
    demo = Demo(city_id, camera_id, DemoRecording(camera_id, pattern, segment_seconds))
    atexit.register(demo.stop)
    api = api_url or "http://127.0.0.1:3000"
    _start_live(demo, api, pattern)
    now = datetime.now(UTC).replace(microsecond=0)
    span = f"from={format_rfc3339(now - timedelta(hours=1))}&to={format_rfc3339(now + timedelta(hours=1))}"
    print(
        f"\nDemo: cidade {city_id} · câmera {camera_id}\n"
        f"  ao vivo no console: {api}/console#/cameras/{camera_id} (Assistir ao vivo)\n"
        f"  gravando um padrão de teste em segmentos de {segment_seconds:g} s (linha do tempo a cada segmento):\n"
        f"  curl -H \"Authorization: Bearer $TOKEN\" '{api}/v1/cameras/{camera_id}/timeline?{span}'\n"
        f"  playlist HLS: {api}/v1/cameras/{camera_id}/playback.m3u8?{span}\n",
        flush=True,
    )
    return demo
