"""The demo's MediaMTX, for machines without one: a small control API whose one live path is the demo
camera, online while the demo recorder runs, its `inboundBytes` the bytes the recorder has written.

Enough of `/v3` (shapes of `shared/reference/mediamtx/openapi.yaml`) for StreamHealthFunction
(`/v3/paths/list`), GET /stream (`/v3/paths/get`) and start/stop (`/v3/config/paths/*`, kept in memory),
so `gtvision local up --demo` shows the demo camera's health moving. A configured
GTV_MEDIAMTX_API_URL (a real MediaMTX) always wins: this is only started when none is set.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any
from urllib.parse import unquote, urlsplit

from gtvision.core.timeutil import format_rfc3339

from .jsonserver import JsonServer


class DemoMediaMTX:
    """Serves the demo camera's path, online while `alive()` holds, counting `bytes_written()`."""

    def __init__(
        self, camera_id: str, bytes_written: Callable[[], int], alive: Callable[[], bool], port: int = 0
    ) -> None:
        self.camera_id = camera_id
        self.bytes_written = bytes_written
        self.alive = alive
        self.online_time = format_rfc3339(datetime.now(UTC))
        self.confs: dict[str, dict[str, Any]] = {camera_id: {"name": camera_id, "record": True}}
        self._server = JsonServer(lambda request: self.answer(request.method, request.target, request.body),
                                  name="demo-mediamtx", port=port)  # fmt: skip
        self.url = self._server.url

    def start(self) -> DemoMediaMTX:
        self._server.start()
        return self

    def stop(self) -> None:
        self._server.stop()

    def path(self, name: str) -> dict[str, Any] | None:
        if name != self.camera_id or name not in self.confs:
            return None
        online = self.alive()  # the recorder running is the source being connected
        return {
            "name": name, "confName": name, "source": {"type": "rtspSource", "id": "demo"},
            "available": online, "availableTime": self.online_time if online else None,
            "online": online, "onlineTime": self.online_time if online else None,
            "tracks2": [{"codec": "H264", "codecProps": {"width": 640, "height": 360}}],
            "inboundBytes": self.bytes_written() if online else 0, "outboundBytes": 0,
            "inboundFramesInError": 0, "readers": [],
        }  # fmt: skip

    def answer(self, method: str, raw_path: str, body: Any) -> tuple[int, dict[str, Any]]:
        path = urlsplit(raw_path).path
        if (method, path) == ("GET", "/v3/paths/list"):
            items = [p for p in (self.path(n) for n in self.confs) if p is not None]
            return 200, {"itemCount": len(items), "pageCount": 1, "items": items}
        route, _, name = path.rpartition("/")
        name = unquote(name)
        if (method, route) == ("GET", "/v3/paths/get"):
            found = self.path(name)
            return (200, found) if found else (404, {"status": "error", "error": "path not found"})
        if (method, route) == ("GET", "/v3/config/paths/get"):
            conf = self.confs.get(name)
            return (200, {"name": name, **conf}) if conf else (404, {"status": "error", "error": "not found"})
        if method in ("POST", "PATCH") and route in ("/v3/config/paths/add", "/v3/config/paths/patch"):
            self.confs.setdefault(name, {"name": name}).update(body if isinstance(body, dict) else {})
            return 200, {"status": "ok"}
        if (method, route) == ("DELETE", "/v3/config/paths/delete"):
            found_conf = self.confs.pop(name, None)
            return (200, {"status": "ok"}) if found_conf else (404, {"status": "error", "error": "not found"})
        return 404, {"status": "error", "error": f"não disponível no MediaMTX de demonstração: {method} {path}"}
