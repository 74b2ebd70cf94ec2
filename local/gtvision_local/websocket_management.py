"""The management endpoint of the local WebSocket API: ``POST|GET|DELETE /@connections/{id}`` (also under
``/{stage}/``) as API Gateway answers them, 410 with ``x-amzn-ErrorType: GoneException`` for a connection
that is gone, so boto3's ``apigatewaymanagementapi`` client works against it unchanged.

As in AWS (IAM's ``execute-api:ManageConnections``), every request must carry a valid SigV4 signature of
the local stack's credentials — checked by the emulator front's own :func:`~gtvision_local.sigv4_front.verify`
— or it is a 403 ``ForbiddenException``: any local process could otherwise push messages into an
operator's console. The endpoint listens on 127.0.0.1 only.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler
from typing import Any, Protocol
from urllib.parse import unquote, urlsplit

from .logs import log
from .sigv4_front import SignatureRefused, env_credentials, verify

MAX_DATA = 128 * 1024  # API Gateway's frame limit


@dataclass(frozen=True)
class ConnectionInfo:
    """What GetConnection tells of a connection (epoch milliseconds)."""

    connected_at: int
    last_active_at: int
    source_ip: str
    user_agent: str


class Connections(Protocol):
    """The live connections the endpoint manages (the WebSocket gateway)."""

    def post(self, connection_id: str, data: bytes) -> bool: ...

    def delete(self, connection_id: str) -> bool: ...

    def describe(self, connection_id: str) -> ConnectionInfo | None: ...


def _iso(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, UTC).isoformat().replace("+00:00", "Z")


def handler_class(
    gateway: Connections, credentials: Callable[[], dict[str, str]] = env_credentials
) -> type[BaseHTTPRequestHandler]:
    """The request handler of the gateway's management endpoint (boto3's ``apigatewaymanagementapi``)."""
    pattern = re.compile(r"^(?:/[^/@]+)?/@connections/([^/]+)$")

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        server_version = "gtvision-local"

        def _reply(self, status: int, body: dict[str, Any] | None = None, error: str | None = None) -> None:
            payload = json.dumps(body).encode() if body is not None else b""
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.send_header("x-amzn-RequestId", str(uuid.uuid4()))
            if error:
                self.send_header("x-amzn-ErrorType", error)
            self.end_headers()
            self.wfile.write(payload)

        def _connection_id(self) -> str | None:
            match = pattern.match(urlsplit(self.path).path)
            return unquote(match.group(1)) if match else None

        def _gone(self) -> None:
            self._reply(410, {"message": None}, "GoneException")

        def _signed(self, body: bytes) -> bool:
            """Whether the request is signed by the stack's credentials; answers 403 when it is not."""
            try:
                verify(self.command, self.path, lambda name: self.headers.get_all(name) or [], body, credentials())
            except SignatureRefused as refused:
                log.warning("ws management: %s %s refused (%s)", self.command, self.path, refused.code)
                self._reply(403, {"message": refused.message}, "ForbiddenException")
                return False
            return True

        def do_POST(self) -> None:  # noqa: N802 - http.server's naming
            data = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            if not self._signed(data):
                return
            connection_id = self._connection_id()
            if connection_id is None:
                self._reply(404, {"message": "Not Found"}, "NotFoundException")
            elif len(data) > MAX_DATA:
                self._reply(413, {"message": "Message too long"}, "PayloadTooLargeException")
            elif gateway.post(connection_id, data):
                self._reply(200)
            else:
                self._gone()

        def do_GET(self) -> None:  # noqa: N802
            if not self._signed(b""):
                return
            info = gateway.describe(self._connection_id() or "")
            if info is None:
                self._gone()
                return
            self._reply(
                200,
                {
                    "connectedAt": _iso(info.connected_at),
                    "identity": {"sourceIp": info.source_ip, "userAgent": info.user_agent},
                    "lastActiveAt": _iso(info.last_active_at or info.connected_at),
                },
            )

        def do_DELETE(self) -> None:  # noqa: N802
            if not self._signed(b""):
                return
            if gateway.delete(self._connection_id() or ""):
                self._reply(204)
            else:
                self._gone()

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
            log.debug("ws management: " + format, *args)

    return Handler
