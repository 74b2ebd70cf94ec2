"""The viewer side of the built-in MediaMTX stand-in: HLS and WebRTC (WHEP) at the URLs a MediaMTX node gives.

- HLS (``GTV_MEDIAMTX_HLS_URL``): ``GET /{path}/index.m3u8`` and its segments, the files the path's ffmpeg
  writes (``live_feed``); the first playlist request waits until a segment exists, as MediaMTX's muxer does.
- WHEP (``GTV_MEDIAMTX_WEBRTC_URL``): ``POST /{path}/whep`` with an ``application/sdp`` offer → 201, the
  answer and a ``Location`` naming the session; ``DELETE`` of that location ends it. The session sends the
  path's H.264 packets as they come (aiortc packetizes them; nothing is decoded or encoded per viewer).

Both answer CORS as MediaMTX does (``hlsAllowOrigins``/``webrtcAllowOrigins`` ``*``): the console is served
from another origin. A path without live media is a 404 on both.
"""

from __future__ import annotations

import asyncio
import json
import logging
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import unquote, urlsplit

from aiortc import MediaStreamTrack, RTCConfiguration, RTCPeerConnection, RTCRtpSender, RTCSessionDescription

from .live_feed import LiveFeed
from .logs import log

FeedOf = Callable[[str], LiveFeed | None]

# One line per ICE check otherwise: the stack's log says when a session opens and closes.
for _chatty in ("aioice", "aiortc"):
    logging.getLogger(_chatty).setLevel(logging.WARNING)

CORS = {
    "Access-Control-Allow-Origin": "*",
    "Access-Control-Allow-Credentials": "true",
    "Access-Control-Allow-Methods": "OPTIONS, GET, POST, PATCH, DELETE",
    "Access-Control-Allow-Headers": "Authorization, Content-Type, If-Match",
    "Access-Control-Expose-Headers": "ETag, ID, Accept-Patch, Link, Location",
}
_CONTENT_TYPES = {".m3u8": "application/vnd.apple.mpegurl", ".ts": "video/MP2T"}
#: Packets a WebRTC viewer may lag behind before it is made to wait for the next keyframe (~6 s at 15 fps).
_MAX_QUEUED = 90


class _Server:
    """A threaded HTTP server on 127.0.0.1 whose handler answers with ``serve(method, path, headers, body)``."""

    def __init__(
        self, serve: Callable[[str, str, Any, bytes], tuple[int, bytes, dict[str, str]]], port: int, name: str
    ) -> None:
        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            wbufsize = -1  # headers and body in one send (see jsonserver.py)
            disable_nagle_algorithm = True

            def log_message(self, *args: Any) -> None:
                pass

            def _any(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                status, payload, headers = serve(self.command, urlsplit(self.path).path, self.headers, body)
                self.send_response(status)
                for key, value in {**CORS, **headers, "Content-Length": str(len(payload))}.items():
                    self.send_header(key, value)
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(payload)

            do_GET = do_HEAD = do_POST = do_PATCH = do_DELETE = do_OPTIONS = _any

        self.server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self._thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.1}, name=name, daemon=True
        )

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def _error(status: int, message: str) -> tuple[int, bytes, dict[str, str]]:
    return status, json.dumps({"status": "error", "error": message}).encode(), {"Content-Type": "application/json"}


class HlsServer:
    """MediaMTX's HLS server for the paths `feed_of` knows."""

    def __init__(self, feed_of: FeedOf, port: int = 0) -> None:
        self.feed_of = feed_of
        self._server = _Server(self.serve, port, "live-hls")
        self.url = self._server.url

    def start(self) -> HlsServer:
        self._server.start()
        return self

    def stop(self) -> None:
        self._server.stop()

    def serve(self, method: str, path: str, headers: Any, body: bytes) -> tuple[int, bytes, dict[str, str]]:
        if method == "OPTIONS":
            return 204, b"", {}
        if method not in ("GET", "HEAD"):
            return _error(405, "method not allowed")
        name, _, file = unquote(path).strip("/").rpartition("/")
        feed = self.feed_of(name) if name else None
        if feed is None:
            return _error(404, f"no stream is available on path '{name}'")
        if file == "index.m3u8" and not feed.wait_playlist(8.0):
            return _error(404, f"stream '{name}' is not ready yet")
        found = feed.hls_file(file)
        if found is None:
            return _error(404, "not found")
        try:
            data = found.read_bytes()
        except FileNotFoundError:  # a segment deleted from the window meanwhile
            return _error(404, "not found")
        return 200, data, {"Content-Type": _CONTENT_TYPES[found.suffix], "Cache-Control": "no-cache"}


@dataclass
class WhepSession:
    path: str
    peer: Any  # RTCPeerConnection
    track: Any  # _FeedTrack


class WhepServer:
    """MediaMTX's WebRTC server (WHEP reads) for the paths `feed_of` knows, on its own asyncio loop."""

    def __init__(self, feed_of: FeedOf, port: int = 0) -> None:
        self.feed_of = feed_of
        self.sessions: dict[str, WhepSession] = {}
        self.loop = asyncio.new_event_loop()
        self._loop_thread = threading.Thread(target=self.loop.run_forever, name="live-whep-loop", daemon=True)
        self._server = _Server(self.serve, port, "live-whep")
        self.url = self._server.url

    def start(self) -> WhepServer:
        self._loop_thread.start()
        self._server.start()
        return self

    def stop(self) -> None:
        self._server.stop()
        for session_id in list(self.sessions):
            self._call(self._close(session_id))
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._loop_thread.join(5)

    def readers(self, path: str) -> list[str]:
        """Ids of the path's open sessions (MediaMTX's `webRTCSession` readers)."""
        return [sid for sid, s in list(self.sessions.items()) if s.path == path]

    def close_path(self, path: str) -> None:
        """End every session of a path that stops (MediaMTX closes its readers with the path)."""
        for session_id in self.readers(path):
            self._call(self._close(session_id))

    def _call(self, coroutine: Any) -> Any:
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(20)

    def serve(self, method: str, path: str, headers: Any, body: bytes) -> tuple[int, bytes, dict[str, str]]:
        parts = unquote(path).strip("/").split("/")
        if len(parts) < 2 or "whep" not in parts:
            return _error(404, "not found")
        at = parts.index("whep")
        name, session_id = "/".join(parts[:at]), "/".join(parts[at + 1 :])
        if method == "OPTIONS":
            return 204, b"", {}
        if method == "POST" and not session_id:
            if headers.get("Content-Type", "").split(";")[0].strip() != "application/sdp":
                return _error(400, "invalid SDP")
            feed = self.feed_of(name)
            if feed is None or not feed.online:
                return _error(404, f"no stream is available on path '{name}'")
            try:
                session_id, answer = self._call(self._answer(name, feed, body.decode()))
            except Exception as exc:  # noqa: BLE001 - a bad offer is the client's problem: MediaMTX says 400
                return _error(400, f"invalid SDP: {exc}")
            location = f"/{name}/whep/{session_id}"
            return (
                201,
                answer.encode(),
                {"Content-Type": "application/sdp", "ETag": "*", "ID": session_id, "Location": location},
            )
        if method == "DELETE" and session_id:
            closed = session_id in self.sessions and self.sessions[session_id].path == name
            if closed:
                self._call(self._close(session_id))
            return (200, b"", {}) if closed else _error(404, "session not found")
        if method == "PATCH" and session_id:  # trickle ICE: the console sends every candidate in its offer
            return _error(405, "trickle ICE is not supported here; send every candidate in the offer")
        return _error(405, "method not allowed")

    async def _answer(self, name: str, feed: LiveFeed, offer: str) -> tuple[str, str]:
        peer = RTCPeerConnection(RTCConfiguration(iceServers=[]))  # no STUN: viewers are on this host or its LAN
        track = _FeedTrack(feed, self.loop)
        transceiver = peer.addTransceiver(track, direction="sendonly")
        # The packets are H.264: the answer must pick it, whatever the browser offered first (VP8).
        codecs = RTCRtpSender.getCapabilities("video").codecs
        transceiver.setCodecPreferences([c for c in codecs if c.mimeType.lower() in ("video/h264", "video/rtx")])
        session_id = str(uuid.uuid4())
        self.sessions[session_id] = WhepSession(name, peer, track)

        @peer.on("connectionstatechange")
        async def _state() -> None:
            if peer.connectionState in ("failed", "closed"):
                await self._close(session_id)

        try:
            await peer.setRemoteDescription(RTCSessionDescription(offer, "offer"))
            await peer.setLocalDescription(await peer.createAnswer())
        except Exception:
            await self._close(session_id)
            raise
        log.info("live %s: WebRTC session %s opened", name, session_id[:8])
        return session_id, str(peer.localDescription.sdp)

    async def _close(self, session_id: str) -> None:
        session = self.sessions.pop(session_id, None)
        if session is None:
            return
        session.track.stop()
        await session.peer.close()
        log.info("live %s: WebRTC session %s closed", session.path, session_id[:8])


class _FeedTrack(MediaStreamTrack):
    """A video track of a feed's H.264 packets from its next keyframe on (a viewer joins mid-stream)."""

    kind = "video"

    def __init__(self, feed: LiveFeed, loop: asyncio.AbstractEventLoop) -> None:
        super().__init__()
        self._queue: asyncio.Queue[Any] = asyncio.Queue()
        self._feed_loop = loop
        self._keyframe_needed = True
        self._unsubscribe = feed.subscribe(self._deliver)

    def _deliver(self, packet: Any) -> None:  # the feed's thread
        try:
            self._feed_loop.call_soon_threadsafe(self._put, packet)
        except RuntimeError:  # the loop closed: the server is stopping
            self._unsubscribe()

    def _put(self, packet: Any) -> None:
        if self._queue.qsize() >= _MAX_QUEUED:  # the viewer fell behind: skip to the next keyframe
            while not self._queue.empty():
                self._queue.get_nowait()
            self._keyframe_needed = True
        if self._keyframe_needed and not packet.is_keyframe:
            return
        self._keyframe_needed = False
        self._queue.put_nowait(packet)

    async def recv(self) -> Any:
        return await self._queue.get()

    def stop(self) -> None:
        self._unsubscribe()
        super().stop()
