"""Which MediaMTX the local stack's live video goes through, and starting it.

- ``GTV_MEDIAMTX_API_URL`` set: a MediaMTX runs elsewhere (docker compose, a node); nothing is started.
- a ``mediamtx`` binary (``GTV_MEDIAMTX_BIN``, else ``mediamtx`` on PATH): it runs with the repository's
  ``mediamtx.yml`` on its usual ports, in ``.local/mediamtx`` (where it writes recordings until the upload
  hook sends them), its hooks pointed at this repository's scripts and the local API.
- otherwise the built-in stand-in (``demo_mediamtx``): control API, HLS and WHEP for the demo camera, on
  MediaMTX's ports when they are free, else on free ports.

Either way the GTV_MEDIAMTX_* URLs of this process point at what was started (the functions run here).
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Literal, Protocol
from urllib.parse import urlsplit

from . import ports
from .demo_mediamtx import DemoMediaMTX, PathListener
from .logs import log
from .paths import repo_root, state_dir

#: MediaMTX's ports in mediamtx.yml (api, hls, webrtc, rtsp).
MEDIAMTX_PORTS = (9997, 8888, 8889, 8554)


@dataclass(frozen=True)
class EdgeChoice:
    kind: Literal["external", "binary", "standin"]
    binary: str | None = None
    note: str = ""


def _stack_ports(env: Mapping[str, str]) -> tuple[int, int, int] | None:
    """The (api, hls, webrtc) ports GTV_PORT_BASE gave this stack's own MediaMTX, if it did."""
    names = ("GTV_MEDIAMTX_API_URL", "GTV_MEDIAMTX_HLS_URL", "GTV_MEDIAMTX_WEBRTC_URL")
    if not all(n in ports.derived and env.get(n) for n in names):
        return None
    api, hls, webrtc = (urlsplit(env[n]).port or 0 for n in names)
    return api, hls, webrtc


def choose_edge(env: Mapping[str, str] | None = None) -> EdgeChoice:
    """What serves live video: a configured MediaMTX, a MediaMTX binary, or the built-in stand-in (a MediaMTX
    URL that GTV_PORT_BASE derived is this stack's own to serve, not a configured one)."""
    env = os.environ if env is None else env
    if env.get("GTV_MEDIAMTX_API_URL") and "GTV_MEDIAMTX_API_URL" not in ports.derived:
        return EdgeChoice("external", note=env["GTV_MEDIAMTX_API_URL"])
    configured = env.get("GTV_MEDIAMTX_BIN", "")
    if configured:
        if os.path.isfile(configured) and os.access(configured, os.X_OK):
            return EdgeChoice("binary", configured)
        return EdgeChoice("standin", note=f"GTV_MEDIAMTX_BIN={configured} não é um executável")
    found = shutil.which("mediamtx", path=env.get("PATH", os.defpath))
    return EdgeChoice("binary", found) if found else EdgeChoice("standin")


class Edge(Protocol):
    urls: dict[str, str]

    def stop(self) -> None: ...


class MediaMTXProcess:
    """A real MediaMTX with the repository's mediamtx.yml, its log lines in the stack's log."""

    def __init__(self, binary: str, api_url: str, root: Path | None = None) -> None:
        root = root or repo_root()
        scripts = root / "local" / "mediamtx"
        self.work_dir = state_dir(root) / "mediamtx"
        api, hls, webrtc, rtsp = MEDIAMTX_PORTS
        self.urls = {
            "GTV_MEDIAMTX_API_URL": f"http://127.0.0.1:{api}",
            "GTV_MEDIAMTX_HLS_URL": f"http://127.0.0.1:{hls}",
            "GTV_MEDIAMTX_WEBRTC_URL": f"http://127.0.0.1:{webrtc}",
            "GTV_MEDIAMTX_RTSP_URL": f"rtsp://127.0.0.1:{rtsp}",
        }
        self.command = [binary, str(root / "mediamtx.yml")]
        self.env = {
            **os.environ,
            "TZ": "UTC",  # segment names are their start in UTC (contract)
            "MTX_PATHDEFAULTS_RUNONRECORDSEGMENTCOMPLETE": str(scripts / "upload-segment.sh"),
            "MTX_PATHDEFAULTS_RUNONONLINE": f"{scripts / 'stream-event.sh'} online",
            "MTX_PATHDEFAULTS_RUNONOFFLINE": f"{scripts / 'stream-event.sh'} offline",
            "GTV_HOOK_URL": f"{api_url.rstrip('/')}/v1/hooks/mediamtx",
        }
        self._proc: subprocess.Popen[str] | None = None

    def start(self, timeout_s: float = 15.0) -> MediaMTXProcess:
        self.work_dir.mkdir(parents=True, exist_ok=True)
        proc = subprocess.Popen(
            self.command,
            cwd=self.work_dir,
            env=self.env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            errors="replace",
        )
        self._proc = proc
        threading.Thread(target=_relay, args=(proc.stdout,), name="mediamtx-log", daemon=True).start()
        deadline = time.monotonic() + timeout_s
        while not _listening(MEDIAMTX_PORTS[0]):
            if proc.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"MediaMTX ({self.command[0]}) não abriu a API em :{MEDIAMTX_PORTS[0]}")
            time.sleep(0.1)
        return self

    def stop(self) -> None:
        proc, self._proc = self._proc, None
        if proc is not None and proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


class StandIn:
    """The built-in stand-in as an :class:`Edge`."""

    def __init__(self, sources: dict[str, str], on_change: PathListener | None) -> None:
        own = _stack_ports(os.environ)
        free = all(not _listening(p) for p in MEDIAMTX_PORTS[:3])
        chosen = own or (MEDIAMTX_PORTS[:3] if free else (0, 0, 0))
        self.mediamtx = DemoMediaMTX(sources, ports=chosen, on_change=on_change).start()
        self.urls = self.mediamtx.urls

    def stop(self) -> None:
        self.mediamtx.stop()


def start_edge(api_url: str, sources: dict[str, str], on_change: PathListener | None = None) -> Edge | None:
    """Start what `choose_edge` picks (None for an external MediaMTX) and point this process's settings at it."""
    from gtvision.core.settings import get_settings

    choice = choose_edge()
    if choice.note and choice.kind == "standin":
        log.warning("%s: usando o MediaMTX embutido", choice.note)
    edge: Edge
    if choice.kind == "external":
        return None
    if choice.kind == "binary":
        assert choice.binary is not None
        edge = MediaMTXProcess(choice.binary, api_url).start()
    else:
        edge = StandIn(sources, on_change)
    os.environ.update(edge.urls)
    get_settings.cache_clear()
    return edge


def _listening(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) == 0


def _relay(stream: IO[str] | None) -> None:
    for line in stream or ():
        log.info("mediamtx: %s", line.rstrip())
