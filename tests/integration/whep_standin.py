"""A MediaMTX WebRTC server stand-in for the console tests: WHEP as MediaMTX serves it, with a real WebRTC peer
(aiortc) sending a real H.264 file made by the test.

- ``OPTIONS /{path}/whep``: 204 with MediaMTX's CORS headers (the console is on another origin).
- ``POST /{path}/whep``: an ``application/sdp`` offer is answered with 201 and a ``Location`` naming the session.
  A path with no stream gets 404, and another content type gets 400.
- ``DELETE /{path}/whep/{session}``: the session ends (200).

Every request is recorded in ``requests`` for the test to read.
"""

from __future__ import annotations

import asyncio
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

CORS = {
    "Access-Control-Allow-Origin": "*",
    "Access-Control-Allow-Credentials": "true",
    "Access-Control-Allow-Methods": "OPTIONS, GET, POST, PATCH, DELETE",
    "Access-Control-Allow-Headers": "Authorization, Content-Type, If-Match",
    "Access-Control-Expose-Headers": "ETag, ID, Accept-Patch, Link, Location",
}


@dataclass
class WhepStandIn:
    url: str
    media: dict[str, str]  # path name -> video file it streams
    requests: list[tuple[str, str, str]] = field(default_factory=list)  # (method, path, content type)
    sessions: dict[str, Any] = field(default_factory=dict)  # session id -> RTCPeerConnection (open ones)


@contextmanager
def serve_whep(media: dict[str, str]) -> Iterator[WhepStandIn]:
    from aiortc import RTCPeerConnection, RTCSessionDescription
    from aiortc.contrib.media import MediaPlayer

    loop = asyncio.new_event_loop()
    runner = threading.Thread(target=loop.run_forever, daemon=True)
    runner.start()
    state = WhepStandIn(url="", media=media)

    async def answer(path: str, offer: str) -> tuple[str, str]:
        pc = RTCPeerConnection()
        player = MediaPlayer(media[path], loop=True)
        await pc.setRemoteDescription(RTCSessionDescription(offer, "offer"))
        for transceiver in pc.getTransceivers():
            if transceiver.kind == "video" and player.video is not None:
                pc.addTrack(player.video)
        await pc.setLocalDescription(await pc.createAnswer())
        session = str(uuid.uuid4())
        state.sessions[session] = pc
        return session, pc.localDescription.sdp

    async def close(session: str) -> bool:
        pc = state.sessions.pop(session, None)
        if pc is None:
            return False
        await pc.close()
        return True

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args: Any) -> None:
            pass

        def _reply(self, status: int, body: bytes = b"", headers: dict[str, str] | None = None) -> None:
            self.send_response(status)
            for k, v in {**CORS, **(headers or {}), "Content-Length": str(len(body))}.items():
                self.send_header(k, v)
            self.end_headers()
            self.wfile.write(body)

        def _path(self) -> tuple[str, str | None]:
            parts = self.path.split("?", 1)[0].strip("/").split("/")
            if len(parts) == 2 and parts[1] == "whep":
                return parts[0], None
            if len(parts) == 3 and parts[1] == "whep":
                return parts[0], parts[2]
            return "", None

        def do_OPTIONS(self) -> None:  # noqa: N802
            state.requests.append(("OPTIONS", self.path, ""))
            self._reply(204)

        def do_POST(self) -> None:  # noqa: N802
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0)).decode()
            kind = self.headers.get("Content-Type", "")
            state.requests.append(("POST", self.path, kind))
            path, session = self._path()
            if not path or session is not None:
                self._reply(404)
            elif kind != "application/sdp":
                self._reply(400, b'{"error": "invalid SDP"}', {"Content-Type": "application/json"})
            elif path not in media:
                self._reply(404, b'{"error": "no stream is available on path"}', {"Content-Type": "application/json"})
            else:
                session, sdp = asyncio.run_coroutine_threadsafe(answer(path, body), loop).result(30)
                self._reply(201, sdp.encode(), {
                    "Content-Type": "application/sdp", "ETag": "*", "ID": session,
                    "Location": f"/{path}/whep/{session}",
                })  # fmt: skip

        def do_DELETE(self) -> None:  # noqa: N802
            state.requests.append(("DELETE", self.path, ""))
            _, session = self._path()
            closed = session is not None and asyncio.run_coroutine_threadsafe(close(session), loop).result(30)
            self._reply(200 if closed else 404)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    state.url = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
        for session in list(state.sessions):
            asyncio.run_coroutine_threadsafe(close(session), loop).result(30)
        loop.call_soon_threadsafe(loop.stop)
        runner.join(timeout=10)
