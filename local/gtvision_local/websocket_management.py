"""The management endpoint of the local WebSocket API: ``POST|GET|DELETE /@connections/{id}`` (also under
``/{stage}/``) as API Gateway answers them, 410 with ``x-amzn-ErrorType: GoneException`` for a connection
that is gone, so boto3's ``apigatewaymanagementapi`` client works against it unchanged.

As in AWS (IAM's ``execute-api:ManageConnections``), every request must carry a valid SigV4 signature of
the local stack's credentials — checked by the emulator front's own :func:`~gtvision_local.sigv4_front.verify`
— or it is a 403 ``ForbiddenException``: any local process could otherwise push messages into an
operator's console. The endpoint listens on 127.0.0.1 only.

It is served on the gateway's own event loop, next to the sockets (HTTP/1.1 with keep-alive, read with asyncio
streams): the coroutine that reads a post writes its frame, with no thread per HTTP connection and no hop
between threads. A fan-out of one event to 1,000 sockets is 1,000 posts; in AWS API Gateway's side of them is
not on the notifier's machine, so locally it should cost little more than the frames themselves.
"""

from __future__ import annotations

import asyncio
import json
import random
import re
import socket
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import formatdate
from functools import lru_cache
from http import HTTPStatus
from typing import Any, Protocol
from urllib.parse import unquote, urlsplit

from .logs import log
from .sigv4_front import SignatureRefused, env_credentials, verify

MAX_DATA = 128 * 1024  # API Gateway's frame limit
#: A request line and headers longer than this are refused (431), a body longer than `_MAX_BODY` too (413).
MAX_HEAD = 64 * 1024
_MAX_BODY = 8 * MAX_DATA
#: How long a frame may wait for a slow socket before the post answers 500 (the notifier retries those).
SEND_TIMEOUT_S = 5.0
#: Pending connections the endpoint holds (a notifier opens all its kept-alive connections at once).
BACKLOG = 512
_PATH = re.compile(r"^(?:/[^/@]+)?/@connections/([^/]+)$")

Answer = tuple[int, dict[str, Any] | None, str | None]  # status, JSON body, x-amzn-ErrorType


@dataclass(frozen=True)
class ConnectionInfo:
    """What GetConnection tells of a connection (epoch milliseconds)."""

    connected_at: int
    last_active_at: int
    source_ip: str
    user_agent: str


class Connections(Protocol):
    """The live connections the endpoint manages (the WebSocket gateway), called on the gateway's loop."""

    async def send(self, connection_id: str, data: bytes) -> bool: ...

    async def close_connection(self, connection_id: str) -> bool: ...

    def describe(self, connection_id: str) -> ConnectionInfo | None: ...


@dataclass(frozen=True)
class Request:
    method: str
    #: As sent (path and query).
    target: str
    #: Names lowercased; every value of each.
    headers: dict[str, list[str]]
    body: bytes
    keep_alive: bool


class BadRequest(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def _iso(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, UTC).isoformat().replace("+00:00", "Z")


@lru_cache(maxsize=2)
def _http_date(second: int) -> str:
    return formatdate(second, usegmt=True)


async def read_request(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> Request | None:
    """The next request of a connection; None when the client closed it between requests."""
    try:
        head = await reader.readuntil(b"\r\n\r\n")
    except asyncio.IncompleteReadError as exc:
        if exc.partial.strip():
            raise BadRequest(400, "incomplete request") from None
        return None
    except asyncio.LimitOverrunError:
        raise BadRequest(431, "request header fields too large") from None
    lines = head.decode("latin-1").lstrip("\r\n").split("\r\n")[:-2]
    parts = lines[0].split(" ") if lines else []
    if len(parts) != 3 or not parts[2].startswith("HTTP/1."):
        raise BadRequest(400, "malformed request line")
    headers: dict[str, list[str]] = {}
    for line in lines[1:]:
        name, sep, value = line.partition(":")
        if not sep or not name or name != name.strip():
            raise BadRequest(400, "malformed header")
        headers.setdefault(name.lower(), []).append(value.strip())
    if "transfer-encoding" in headers:
        raise BadRequest(501, "chunked request bodies are not supported")  # boto3 always sends a length
    try:
        length = int(headers.get("content-length", ["0"])[0])
    except ValueError:
        raise BadRequest(400, "malformed Content-Length") from None
    if not 0 <= length <= _MAX_BODY:
        raise BadRequest(413, "Message too long")
    if "100-continue" in ",".join(headers.get("expect", [])).lower():
        writer.write(b"HTTP/1.1 100 Continue\r\n\r\n")
    body = await reader.readexactly(length) if length else b""
    tokens = ",".join(headers.get("connection", [])).lower()
    keep_alive = "close" not in tokens if parts[2] == "HTTP/1.1" else "keep-alive" in tokens
    return Request(parts[0], parts[1], headers, body, keep_alive)


def response(status: int, body: dict[str, Any] | None = None, error: str | None = None, close: bool = False) -> bytes:
    """One answer as API Gateway shapes it (JSON, `x-amzn-RequestId`, `x-amzn-ErrorType` on errors)."""
    payload = json.dumps(body).encode() if body is not None else b""
    head = [
        f"HTTP/1.1 {status} {HTTPStatus(status).phrase}",
        "Server: gtvision-local",
        f"Date: {_http_date(int(time.time()))}",
        "Content-Type: application/json",
        f"Content-Length: {len(payload)}",
        f"x-amzn-RequestId: {uuid.UUID(int=random.getrandbits(128), version=4)}",  # no getrandom() per answer
    ]
    if error:
        head.append(f"x-amzn-ErrorType: {error}")
    if close:
        head.append("Connection: close")
    return ("\r\n".join(head) + "\r\n\r\n").encode() + payload


class ManagementEndpoint:
    """The endpoint on 127.0.0.1:`port` (bound at construction, so a taken port fails there), served once
    :meth:`start` runs on the gateway's loop."""

    def __init__(
        self, gateway: Connections, port: int = 0, credentials: Callable[[], dict[str, str]] = env_credentials
    ) -> None:
        self.gateway = gateway
        self.credentials = credentials
        self.socket = socket.create_server(("127.0.0.1", port), backlog=BACKLOG)
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()

    @property
    def server_address(self) -> tuple[str, int]:
        host, port = self.socket.getsockname()[:2]
        return str(host), int(port)

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._serve, sock=self.socket, limit=MAX_HEAD, backlog=BACKLOG)

    async def stop(self) -> None:
        """Stop accepting and end the kept-alive connections (their clients reconnect, as after a restart)."""
        if self._server is not None:
            self._server.close()
            self._server = None
        for writer in list(self._writers):
            writer.close()

    def server_close(self) -> None:
        """Release the port (of an endpoint never started, or stopped)."""
        self.socket.close()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._writers.add(writer)
        try:
            while True:
                try:
                    request = await read_request(reader, writer)
                except BadRequest as bad:
                    writer.write(response(bad.status, {"message": bad.message}, close=True))
                    break
                if request is None:
                    break
                status, body, error = await self.answer(request)
                writer.write(response(status, body, error, close=not request.keep_alive))
                log.debug("ws management: %s %s %s", request.method, request.target, status)
                if not request.keep_alive:
                    break
                await writer.drain()
        except (ConnectionError, asyncio.IncompleteReadError):
            pass  # the client went away mid-request
        finally:
            self._writers.discard(writer)
            writer.close()

    async def answer(self, request: Request) -> Answer:
        if request.method not in ("POST", "GET", "DELETE"):
            return 501, {"message": "Unsupported method"}, None
        try:
            headers = request.headers
            verify(
                request.method, request.target, lambda n: headers.get(n.lower(), []), request.body, self.credentials()
            )
        except SignatureRefused as refused:
            log.warning("ws management: %s %s refused (%s)", request.method, request.target, refused.code)
            return 403, {"message": refused.message}, "ForbiddenException"
        match = _PATH.match(urlsplit(request.target).path)
        connection_id = unquote(match.group(1)) if match else None
        if connection_id is None:
            return 404, {"message": "Not Found"}, "NotFoundException"
        if request.method == "POST":
            return await self._post(connection_id, request.body)
        if request.method == "GET":
            return self._get(connection_id)
        if await self.gateway.close_connection(connection_id):
            return 204, None, None
        return _GONE

    async def _post(self, connection_id: str, data: bytes) -> Answer:
        if len(data) > MAX_DATA:
            return 413, {"message": "Message too long"}, "PayloadTooLargeException"
        try:
            async with asyncio.timeout(SEND_TIMEOUT_S):
                sent = await self.gateway.send(connection_id, data)
        except TimeoutError:
            return 500, {"message": "Internal server error"}, None
        return (200, None, None) if sent else _GONE

    def _get(self, connection_id: str) -> Answer:
        info = self.gateway.describe(connection_id)
        if info is None:
            return _GONE
        body = {
            "connectedAt": _iso(info.connected_at),
            "identity": {"sourceIp": info.source_ip, "userAgent": info.user_agent},
            "lastActiveAt": _iso(info.last_active_at or info.connected_at),
        }
        return 200, body, None


_GONE: Answer = (410, {"message": None}, "GoneException")
