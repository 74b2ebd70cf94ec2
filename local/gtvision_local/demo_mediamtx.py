"""The built-in MediaMTX stand-in, for machines without a MediaMTX binary: its control API, HLS and WebRTC
(WHEP) for the paths whose media it can make here (``sources``: path name → what ffmpeg reads, e.g. the
demo camera's test pattern).

Enough of `/v3` (shapes of `shared/reference/mediamtx/openapi.yaml`) for StreamHealthFunction
(`/v3/paths/list`), GET /stream (`/v3/paths/get`) and start/stop (`/v3/config/paths/get|add|patch|delete`),
and the same world on every side: adding a path with a source starts its ffmpeg (``live_feed``), so it goes
online with HLS and WHEP at the URLs a MediaMTX node gives and its `inboundBytes` grow; deleting it stops
the ffmpeg and closes its viewers, so HLS and WHEP answer 404 and the path leaves the list. A configured path
without a local source is listed offline, as MediaMTX lists a path whose camera it cannot reach.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from gtvision.core.timeutil import format_rfc3339

from .jsonserver import JsonRequest, JsonServer
from .live_feed import LiveFeed
from .live_servers import HlsServer, WhepServer
from .logs import log

#: Called on a thread of its own with (path name, configured) after a path is added or deleted.
PathListener = Callable[[str, bool], None]


def _not_found(what: str) -> tuple[int, dict[str, Any]]:
    return 404, {"status": "error", "error": what}


class DemoMediaMTX:
    """Control API + HLS + WHEP; ``ports`` (api, hls, webrtc) are 0 for any free port."""

    def __init__(
        self,
        sources: dict[str, str],
        *,
        ports: tuple[int, int, int] = (0, 0, 0),
        on_change: PathListener | None = None,
        work_dir: Path | None = None,
    ) -> None:
        self.sources = dict(sources)
        self.on_change = on_change
        self.work_dir = work_dir
        self.confs: dict[str, dict[str, Any]] = {}
        self.feeds: dict[str, LiveFeed] = {}
        self._lock = threading.RLock()
        api_port, hls_port, webrtc_port = ports
        self._api = JsonServer(self._serve, name="demo-mediamtx", port=api_port)
        self.hls = HlsServer(self.feed, hls_port)
        self.whep = WhepServer(self.feed, webrtc_port)
        self.url = self._api.url

    @property
    def urls(self) -> dict[str, str]:
        """The GTV_MEDIAMTX_* settings that point GT-Vision at this stand-in."""
        return {
            "GTV_MEDIAMTX_API_URL": self.url,
            "GTV_MEDIAMTX_HLS_URL": self.hls.url,
            "GTV_MEDIAMTX_WEBRTC_URL": self.whep.url,
        }

    def start(self) -> DemoMediaMTX:
        self._api.start()
        self.hls.start()
        self.whep.start()
        return self

    def stop(self) -> None:
        self._api.stop()
        with self._lock:
            feeds, self.feeds = list(self.feeds.values()), {}
        for feed in feeds:
            feed.stop()
        self.whep.stop()
        self.hls.stop()

    def feed(self, name: str) -> LiveFeed | None:
        """The live media of a configured path (None when it has none here)."""
        return self.feeds.get(name)

    # ------------------------------------------------------------ paths

    def add_path(self, name: str, conf: dict[str, Any]) -> bool:
        """Configure a path (False when it exists); with a local source its media starts now."""
        with self._lock:
            if name in self.confs:
                return False
            self.confs[name] = {**conf, "name": name}
            if name in self.sources:
                self.feeds[name] = LiveFeed(name, self.sources[name], work_dir=self.work_dir).start()
                log.info("live %s: started (HLS %s/%s/index.m3u8)", name, self.hls.url, name)
        self._notify(name, True)
        return True

    def delete_path(self, name: str) -> bool:
        """Remove a path (False when unknown): its media stops and its viewers are closed."""
        with self._lock:
            if self.confs.pop(name, None) is None:
                return False
            feed = self.feeds.pop(name, None)
        self.whep.close_path(name)
        if feed is not None:
            feed.stop()
            log.info("live %s: stopped", name)
        self._notify(name, False)
        return True

    def _notify(self, name: str, configured: bool) -> None:
        if self.on_change is not None:  # on its own thread: a listener may take seconds (a recorder closing)
            threading.Thread(target=self.on_change, args=(name, configured), daemon=True).start()

    def path(self, name: str) -> dict[str, Any] | None:
        """A configured path as `GET /v3/paths/get` shows it (spec `Path`)."""
        with self._lock:
            if name not in self.confs:
                return None
            feed = self.feeds.get(name)
        online = feed is not None and feed.online
        since = format_rfc3339(feed.online_since) if feed is not None and feed.online_since else None
        props = {"width": feed.width, "height": feed.height} if feed is not None and feed.width else None
        return {
            "name": name,
            "confName": name,
            "source": {"type": "rtspSource", "id": ""},
            "available": online,
            "availableTime": since,
            "online": online,
            "onlineTime": since,
            "tracks2": [{"codec": "H264", "codecProps": props}] if online else [],
            "inboundBytes": feed.inbound_bytes if feed is not None else 0,
            "outboundBytes": 0,
            "inboundFramesInError": 0,
            "readers": [{"type": "webRTCSession", "id": sid} for sid in self.whep.readers(name)],
        }

    # ------------------------------------------------------------ control API

    def _serve(self, request: JsonRequest) -> tuple[int, Any]:
        return self.answer(request.method, request.target, request.body)

    def answer(self, method: str, raw_path: str, body: Any) -> tuple[int, dict[str, Any]]:
        path = urlsplit(raw_path).path
        if (method, path) == ("GET", "/v3/paths/list"):
            with self._lock:
                names = sorted(self.confs)
            items = [p for p in (self.path(n) for n in names) if p is not None]
            return 200, {"itemCount": len(items), "pageCount": 1, "items": items}
        route, _, name = path.rpartition("/")
        name = unquote(name)
        if (method, route) == ("GET", "/v3/paths/get"):
            found = self.path(name)
            return (200, found) if found else _not_found("path not found")
        conf = body if isinstance(body, dict) else {}
        if (method, route) == ("GET", "/v3/config/paths/get"):
            with self._lock:
                stored = self.confs.get(name)
            return (200, dict(stored)) if stored else _not_found("path configuration not found")
        if (method, route) == ("POST", "/v3/config/paths/add"):
            added = self.add_path(name, conf)
            return (200, {"status": "ok"}) if added else (400, {"status": "error", "error": "path already exists"})
        if (method, route) == ("PATCH", "/v3/config/paths/patch"):
            with self._lock:
                if name not in self.confs:
                    return _not_found("path configuration not found")
                self.confs[name].update(conf)
            return 200, {"status": "ok"}
        if (method, route) == ("DELETE", "/v3/config/paths/delete"):
            return (200, {"status": "ok"}) if self.delete_path(name) else _not_found("path configuration not found")
        return 404, {"status": "error", "error": f"não disponível no MediaMTX de demonstração: {method} {path}"}
