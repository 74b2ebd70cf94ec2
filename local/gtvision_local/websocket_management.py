"""The management endpoint of the local WebSocket API: ``POST|GET|DELETE /@connections/{id}`` (also under
``/{stage}/``) as API Gateway answers them, 410 with ``x-amzn-ErrorType: GoneException`` for a connection
that is gone, so boto3's ``apigatewaymanagementapi`` client works against it unchanged."""

from __future__ import annotations

import json
import re
import uuid
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote, urlsplit

from .logs import log

if TYPE_CHECKING:
    from .websocket import WebSocketGateway

MAX_DATA = 128 * 1024  # API Gateway's frame limit


def _iso(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, UTC).isoformat().replace("+00:00", "Z")


def handler_class(gateway: WebSocketGateway) -> type[BaseHTTPRequestHandler]:
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

        def do_POST(self) -> None:  # noqa: N802 - http.server's naming
            data = self.rfile.read(int(self.headers.get("Content-Length") or 0))
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
            connection_id = self._connection_id()
            client = gateway.clients.get(connection_id or "")
            if client is None:
                self._gone()
                return
            self._reply(
                200,
                {
                    "connectedAt": _iso(client.connected_at),
                    "identity": {"sourceIp": client.source_ip, "userAgent": client.user_agent},
                    "lastActiveAt": _iso(client.last_active_at or client.connected_at),
                },
            )

        def do_DELETE(self) -> None:  # noqa: N802
            if gateway.delete(self._connection_id() or ""):
                self._reply(204)
            else:
                self._gone()

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
            log.debug("ws management: " + format, *args)

    return Handler
