"""The local API Gateway WebSocket API: the template's ``AWS::ApiGatewayV2::Api`` (WEBSOCKET) served
with the ``websockets`` package, plus its management endpoint for ``apigatewaymanagementapi``.

* ``ws://127.0.0.1:$GTV_WS_PORT`` (3001): each connection gets an API Gateway-style connection id; the
  ``$connect`` route's function decides (a non-2xx answer refuses the handshake with that status),
  every frame is routed by the API's ``RouteSelectionExpression`` (``$request.body.action``) to its
  route or ``$default`` (a route with a route response sends the function's ``body`` back), and the
  end of a connection invokes ``$disconnect``. Events are shaped as API Gateway sends them
  (``requestContext.routeKey``, ``eventType``, ``connectionId``, ``domainName``, ``stage``...).
* ``http://127.0.0.1:$GTV_WS_MANAGEMENT_PORT`` (3002): ``POST|GET|DELETE /@connections/{id}`` (also under
  ``/{stage}/``), 410 with ``x-amzn-ErrorType: GoneException`` for an unknown connection — boto3's client
  works against it unchanged; served on the sockets' own event loop (``websocket_management``). Its URL is
  given to the functions as ``GTV_WS_MANAGEMENT_URL`` and the socket's as ``GTV_WS_URL``, as the template
  gives them their AWS URLs.
"""

from __future__ import annotations

import asyncio
import base64
import json
import logging
import os
import secrets
import threading
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, cast
from urllib.parse import parse_qsl, urlsplit

from websockets.asyncio.server import Server, ServerConnection, serve
from websockets.exceptions import ConnectionClosed
from websockets.http11 import Request, Response

from gtvision.core.settings import get_settings

from .invoker import Invoker
from .logs import log
from .template import Template
from .websocket_management import MAX_DATA, ConnectionInfo, ManagementEndpoint
from .websocket_spec import DEFAULT_MANAGEMENT_PORT, DEFAULT_WS_PORT, WebSocketApiSpec, WebSocketRoute, websocket_apis

#: The close code of a socket whose session or rights ended (contract v1.2).
CLOSE_SESSION_ENDED = 4001


def _now_ms() -> int:
    return int(time.time() * 1000)


def _request_time(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, UTC).strftime("%d/%b/%Y:%H:%M:%S +0000")


def new_connection_id() -> str:
    """API Gateway-like: 16 characters of URL-safe base64 (e.g. ``L0SM9cOFvHcCIhw=``)."""
    return base64.urlsafe_b64encode(secrets.token_bytes(11)).decode()


@dataclass
class _Client:
    connection_id: str
    socket: ServerConnection | None
    connected_at: int
    source_ip: str
    user_agent: str
    last_active_at: int = 0


class WebSocketGateway:
    """One WEBSOCKET API of the template on ``host:port``, management endpoint on ``management_port``."""

    def __init__(
        self, invoker: Invoker, api: WebSocketApiSpec, host: str = "127.0.0.1", port: int = 0, management_port: int = 0
    ) -> None:
        self.invoker = invoker
        self.api = api
        self.host = host
        self.port = port
        self.clients: dict[str, _Client] = {}
        self._loop = asyncio.new_event_loop()
        self._server: Server | None = None
        self._thread: threading.Thread | None = None
        # Loopback only, whatever the socket's host: the endpoint pushes into operators' consoles.
        self.management = ManagementEndpoint(self, management_port)

    # ------------------------------------------------------------ urls

    @property
    def url(self) -> str:
        return f"ws://{self.host}:{self.port}"

    @property
    def management_url(self) -> str:
        host, port = self.management.server_address
        return f"http://{host}:{port}"

    @property
    def domain_name(self) -> str:
        return f"{self.host}:{self.port}"

    # ------------------------------------------------------------ lifecycle

    def start(self) -> None:
        """Bind both ports (a taken one raises here), then serve in background threads."""
        logging.getLogger("websockets").setLevel(logging.WARNING)  # one line per handshake/close is noise here
        try:
            self._server = asyncio.run_coroutine_threadsafe(self._serve(), self._start_loop()).result(10)
            asyncio.run_coroutine_threadsafe(self.management.start(), self._loop).result(10)
        except BaseException:
            self.management.server_close()
            self._loop.call_soon_threadsafe(self._loop.stop)
            raise
        self.port = int(self._server.sockets[0].getsockname()[1])
        log.info("WebSocket API %s on %s (management %s)", self.api.logical_id, self.url, self.management_url)

    def _start_loop(self) -> asyncio.AbstractEventLoop:
        self._thread = threading.Thread(target=self._loop.run_forever, name="ws-gateway", daemon=True)
        self._thread.start()
        return self._loop

    async def _serve(self) -> Server:
        return await serve(
            self._connection, self.host, self.port, process_request=self._process_request, max_size=MAX_DATA
        )

    def stop(self) -> None:
        if self._loop.is_running():
            asyncio.run_coroutine_threadsafe(self.management.stop(), self._loop).result(10)
        self.management.server_close()
        if self._server is not None:
            server = self._server

            async def close() -> None:
                server.close()
                await server.wait_closed()

            try:
                asyncio.run_coroutine_threadsafe(close(), self._loop).result(10)
            except Exception:  # noqa: BLE001 - stopping anyway
                log.warning("WebSocket API did not close cleanly", exc_info=True)
            self._server = None
        self._loop.call_soon_threadsafe(self._loop.stop)
        if self._thread:
            self._thread.join(5)
        self._loop.close()

    # ------------------------------------------------------------ events

    def _context(self, client: _Client, route_key: str, event_type: str, **extra: Any) -> dict[str, Any]:
        now = _now_ms()
        return {
            "routeKey": route_key,
            "eventType": event_type,
            "extendedRequestId": uuid.uuid4().hex[:16] + "=",
            "requestTime": _request_time(now),
            "messageDirection": "IN",
            "stage": self.api.stage,
            "connectedAt": client.connected_at,
            "requestTimeEpoch": now,
            "identity": {"sourceIp": client.source_ip, "userAgent": client.user_agent},
            "requestId": uuid.uuid4().hex[:16] + "=",
            "domainName": self.domain_name,
            "connectionId": client.connection_id,
            "apiId": self.api.logical_id,
            **extra,
        }

    def _invoke(self, route: WebSocketRoute, event: dict[str, Any]) -> Any:
        try:
            return self.invoker.invoke(route.function_id, event)
        except Exception:  # logged by invoke; API Gateway answers an internal error
            return {"statusCode": 500, "body": json.dumps({"message": "Internal server error"})}

    async def _call(self, route: WebSocketRoute, event: dict[str, Any]) -> Any:
        return await asyncio.get_running_loop().run_in_executor(None, self._invoke, route, event)

    async def _process_request(self, connection: ServerConnection, request: Request) -> Response | None:
        """The handshake: ``$connect`` decides, as API Gateway lets the integration decide."""
        split = urlsplit(request.path)
        headers = {k: v for k, v in request.headers.raw_items()}
        query = parse_qsl(split.query, keep_blank_values=True)
        remote = connection.remote_address
        client = _Client(
            new_connection_id(),
            None,
            _now_ms(),
            str(remote[0]) if remote else "",
            request.headers.get("User-Agent", ""),
        )
        cast(Any, connection).gtv_client = client
        route = self.api.routes.get("$connect")
        if route is None:
            return None
        multi_query: dict[str, list[str]] = {}
        for name, value in query:
            multi_query.setdefault(name, []).append(value)
        event = {
            "headers": headers,
            "multiValueHeaders": {k: request.headers.get_all(k) for k in headers},
            "queryStringParameters": {k: v[-1] for k, v in multi_query.items()} or None,
            "multiValueQueryStringParameters": multi_query or None,
            "requestContext": self._context(client, "$connect", "CONNECT"),
            "isBase64Encoded": False,
        }
        result = await self._call(route, event)
        status = int(result.get("statusCode", 200)) if isinstance(result, dict) else 200
        if not 200 <= status < 300:
            body = result.get("body") if isinstance(result, dict) else None
            return connection.respond(status, str(body or "Forbidden"))
        return None

    async def _connection(self, socket: ServerConnection) -> None:
        client: _Client = cast(Any, socket).gtv_client
        client.socket = socket
        client.last_active_at = _now_ms()
        self.clients[client.connection_id] = client
        try:
            async for frame in socket:
                client.last_active_at = _now_ms()
                await self._message(client, frame)
        except ConnectionClosed:
            pass
        finally:
            self.clients.pop(client.connection_id, None)
            route = self.api.routes.get("$disconnect")
            if route is not None:
                code = socket.close_code if socket.close_code is not None else 1006
                event = {
                    "headers": {},
                    "requestContext": self._context(
                        client, "$disconnect", "DISCONNECT", disconnectStatusCode=code,
                        disconnectReason=socket.close_reason or "",
                    ),
                    "isBase64Encoded": False,
                }  # fmt: skip
                await self._call(route, event)

    def select_route(self, body: str) -> WebSocketRoute | None:
        """``$request.body.<path>`` of a JSON frame → its route, else ``$default``."""
        key = None
        expression = self.api.selection_expression
        if expression.startswith("$request.body."):
            try:
                value: Any = json.loads(body)
                for part in expression.removeprefix("$request.body.").split("."):
                    value = value.get(part) if isinstance(value, dict) else None
                key = value if isinstance(value, str) else None
            except (ValueError, RecursionError):  # not JSON, or nested past the parser's recursion limit
                key = None
        if key and not key.startswith("$") and key in self.api.routes:
            return self.api.routes[key]
        return self.api.routes.get("$default")

    async def _message(self, client: _Client, frame: str | bytes) -> None:
        binary = isinstance(frame, bytes)
        body = base64.b64encode(frame).decode() if isinstance(frame, bytes) else frame
        route = self.select_route("" if binary else body)
        socket = client.socket
        assert socket is not None
        if route is None:
            await socket.send(json.dumps({"message": "Forbidden", "connectionId": client.connection_id}))
            return
        event = {
            "requestContext": self._context(client, route.key, "MESSAGE", messageId=uuid.uuid4().hex[:16] + "="),
            "body": body,
            "isBase64Encoded": binary,
        }
        result = await self._call(route, event)
        if route.two_way and isinstance(result, dict) and result.get("body") is not None:
            await socket.send(str(result["body"]))

    # ------------------------------------------------------------ management API

    async def send(self, connection_id: str, data: bytes) -> bool:
        """PostToConnection, on the gateway's loop: False when the connection is gone."""
        client = self.clients.get(connection_id)
        if client is None or client.socket is None:
            return False
        try:
            message: str | bytes = data.decode()
        except UnicodeDecodeError:
            message = data
        try:
            await client.socket.send(message)
        except ConnectionClosed:
            return False
        return True

    def post(self, connection_id: str, data: bytes) -> bool:
        """PostToConnection from another thread (`send`)."""
        return asyncio.run_coroutine_threadsafe(self.send(connection_id, data), self._loop).result(5)

    def describe(self, connection_id: str) -> ConnectionInfo | None:
        """GetConnection: None when the connection is gone."""
        client = self.clients.get(connection_id)
        if client is None:
            return None
        return ConnectionInfo(client.connected_at, client.last_active_at, client.source_ip, client.user_agent)

    async def close_connection(self, connection_id: str) -> bool:
        """DeleteConnection, on the gateway's loop: the socket closes with 4001 (GT-Vision ends sockets this way
        only when their session or rights end; AWS's own close frame cannot carry a code)."""
        client = self.clients.get(connection_id)
        if client is None or client.socket is None:
            return False
        await client.socket.close(code=CLOSE_SESSION_ENDED, reason="sessão encerrada")
        return True

    def delete(self, connection_id: str) -> bool:
        """DeleteConnection from another thread (`close_connection`)."""
        return asyncio.run_coroutine_threadsafe(self.close_connection(connection_id), self._loop).result(5)


class PortTaken(OSError):
    """A WebSocket API port is in use (another `gtvision local up`?)."""


def start_gateways(invoker: Invoker, template: Template, host: str = "127.0.0.1") -> list[WebSocketGateway]:
    """Serve the template's WebSocket API (one per local runtime: ports from ``GTV_WS_PORT`` and
    ``GTV_WS_MANAGEMENT_PORT``) and tell the functions its URLs, as the template does in AWS."""
    apis = websocket_apis(template)
    if not apis:
        return []
    if len(apis) > 1:
        log.warning("only the first WebSocket API (%s) is served locally", apis[0].logical_id)
    port = int(os.environ.get("GTV_WS_PORT") or DEFAULT_WS_PORT)
    management_port = int(os.environ.get("GTV_WS_MANAGEMENT_PORT") or DEFAULT_MANAGEMENT_PORT)
    try:
        gateway = WebSocketGateway(invoker, apis[0], host=host, port=port, management_port=management_port)
        gateway.start()
    except OSError as exc:
        raise PortTaken(
            exc.errno,
            f"a API WebSocket não abriu {host}:{port} / {management_port} ({exc.strerror}); "
            "use GTV_WS_PORT e GTV_WS_MANAGEMENT_PORT.",
        ) from exc
    os.environ.update({"GTV_WS_URL": gateway.url, "GTV_WS_MANAGEMENT_URL": gateway.management_url})
    get_settings.cache_clear()
    return [gateway]
