"""API Gateway, locally: a REST (v1) proxy on ``127.0.0.1:$GTV_API_PORT`` routing the template's ``Api`` events."""

from __future__ import annotations

import base64
import json
import threading
import time
import uuid
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, cast
from urllib.parse import parse_qsl, unquote, urlsplit

from . import events
from .invoker import Invoker
from .logs import as_function, log
from .metrics import local_metrics
from .template import ApiEvent

DEFAULT_API_PORT = 3000
#: API Gateway refuses larger payloads (413) before any function runs; locally too, before reading them.
MAX_PAYLOAD_BYTES = 10 * 1024 * 1024
#: The functions' EMF metrics in Prometheus text format (`gtvision_local.metrics`), served beside the API.
METRICS_PATH = "/metrics"
CORS_HEADERS = {
    "Access-Control-Allow-Origin": "*",
    "Access-Control-Allow-Methods": "GET,POST,PUT,PATCH,DELETE,OPTIONS,HEAD",
    "Access-Control-Allow-Headers": "Authorization,Content-Type,X-GTV-Camera,X-GTV-Signature",
    "Access-Control-Max-Age": "600",
}


@dataclass(frozen=True)
class Route:
    function_id: str
    path: str
    method: str


def _match(template_segments: list[str], segments: list[str]) -> tuple[tuple[int, ...], dict[str, str]] | None:
    """Match path segments against a template; returns (specificity score, path params)."""
    params: dict[str, str] = {}
    score: list[int] = []
    for i, part in enumerate(template_segments):
        if part.startswith("{") and part.endswith("+}"):
            if i >= len(segments):
                return None
            params[part[1:-2]] = "/".join(segments[i:])
            return tuple(score + [2]), params
        if i >= len(segments):
            return None
        if part.startswith("{") and part.endswith("}"):
            params[part[1:-1]] = segments[i]
            score.append(1)
        elif part == segments[i]:
            score.append(0)  # literal segments win over parameters
        else:
            return None
    if len(segments) != len(template_segments):
        return None
    return tuple(score), params


def resolve_route(routes: list[Route], method: str, path: str) -> tuple[Route | None, list[Route], dict[str, str]]:
    """Pick the most specific path template; returns (route for method, routes of that path, params)."""
    segments = [unquote(s) for s in path.split("/") if s]
    best: tuple[tuple[int, ...], str, dict[str, str]] | None = None
    for template_path in {r.path for r in routes}:
        matched = _match([s for s in template_path.split("/") if s], segments)
        if matched and (best is None or matched[0] < best[0]):
            best = (matched[0], template_path, matched[1])
    if best is None:
        return None, [], {}
    same_path = [r for r in routes if r.path == best[1]]
    chosen = next((r for r in same_path if r.method == method), None) or next(
        (r for r in same_path if r.method == "ANY"), None
    )
    return chosen, same_path, best[2]


def _error(status: int, code: str, message: str) -> tuple[int, dict[str, list[str]], bytes]:
    body = json.dumps({"error": {"code": code, "message": message}}).encode()
    return status, {"Content-Type": ["application/json"]}, body


class ApiGateway:
    """API Gateway REST (v1) proxy integration in front of the template's ``Api`` events."""

    def __init__(self, invoker: Invoker, routes: list[tuple[str, ApiEvent]], host: str, port: int) -> None:
        self.invoker = invoker
        self.routes = [Route(fid, ev.path, ev.method) for fid, ev in routes]
        self.server = ThreadingHTTPServer((host, port), self._handler_class())
        self.server.daemon_threads = True
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        # An AF_INET/AF_INET6 server: the address is (host, port, ...), never the str/bytes of a socket file.
        host, port = cast("tuple[str, int]", self.server.server_address[:2])
        return f"http://{host}:{port}"

    def start(self) -> None:
        self._thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.2}, name="api-gateway", daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        if self._thread:
            self.server.shutdown()
            self._thread.join(5)
        self.server.server_close()

    def handle(
        self, method: str, raw_path: str, headers: list[tuple[str, str]], body: bytes, source_ip: str
    ) -> tuple[int, dict[str, list[str]], bytes]:
        """Route one request; returns (status, multi-value headers, body)."""
        split = urlsplit(raw_path)
        path = unquote(split.path) or "/"
        if path == METRICS_PATH and method in ("GET", "HEAD"):  # local only, no token (not deployed)
            view = local_metrics()
            return 200, {"Content-Type": [view.content_type]}, view.exposition()
        route, same_path, params = resolve_route(self.routes, method, split.path)
        if not same_path:
            return _error(404, "not_found", f"Rota não encontrada: {method} {path}")
        if route is None:
            if method == "OPTIONS":  # CORS preflight for a known path
                return 204, {}, b""
            allowed = ", ".join(sorted({r.method for r in same_path}))
            status, out_headers, out = _error(
                405, "method_not_allowed", f"Método {method} não permitido em {path} (permitidos: {allowed})"
            )
            out_headers["Allow"] = [allowed]
            return status, out_headers, out
        event = events.api_gateway_event(
            method=method,
            path=path,
            resource=route.path,
            path_parameters=params,
            headers=headers,
            query=parse_qsl(split.query, keep_blank_values=True),
            body=body,
            source_ip=source_ip,
        )
        try:
            result = self.invoker.invoke(route.function_id, event)
        except Exception:
            return _error(502, "internal_error", "A função falhou; veja o log do gtvision local.")
        return self._response(route, result)

    def _response(self, route: Route, result: Any) -> tuple[int, dict[str, list[str]], bytes]:
        if not isinstance(result, dict) or "statusCode" not in result:
            with as_function(route.function_id):
                log.error("malformed proxy response (no statusCode): %.200r", result)
            return _error(502, "internal_error", "Resposta malformada da função.")
        out_headers: dict[str, list[str]] = {k: [str(v)] for k, v in (result.get("headers") or {}).items()}
        for name, values in (result.get("multiValueHeaders") or {}).items():
            out_headers[name] = [str(v) for v in values]
        if not any(k.lower() == "content-type" for k in out_headers):
            out_headers["Content-Type"] = ["application/json"]  # API Gateway's default
        raw = result.get("body") or ""
        body = base64.b64decode(raw) if result.get("isBase64Encoded") else str(raw).encode()
        return int(result["statusCode"]), out_headers, body

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        gateway = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            server_version = "gtvision-local"

            def _serve(self) -> None:
                started = time.monotonic()
                body = self._read_body()
                if body is None:
                    self.close_connection = True  # the rest of the body is never read
                    status, headers, payload = _error(413, "payload_too_large", "corpo maior que 10 MB")
                else:
                    status, headers, payload = gateway.handle(
                        self.command, self.path, list(self.headers.items()), body, self.client_address[0]
                    )
                lower = {k.lower() for k in headers}
                for name, value in CORS_HEADERS.items():
                    if name.lower() not in lower:
                        headers[name] = [value]
                self.send_response(status)
                for name, values in headers.items():
                    if name.lower() in ("content-length", "transfer-encoding", "connection"):
                        continue
                    for value in values:
                        self.send_header(name, value)
                self.send_header("Content-Length", str(len(payload)))
                self.send_header("X-Amzn-RequestId", str(uuid.uuid4()))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(payload)
                route = resolve_route(gateway.routes, self.command, urlsplit(self.path).path)[0]
                with as_function(route.function_id if route else "api"):
                    log.info(
                        "%s %s -> %d (%.0f ms)",
                        self.command,
                        self.path.split("?", 1)[0],
                        status,
                        (time.monotonic() - started) * 1000,
                    )

            def _read_body(self) -> bytes | None:
                """The request body; None when it is over MAX_PAYLOAD_BYTES (not read past the limit)."""
                if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
                    chunks, total = [], 0
                    while size := int(self.rfile.readline().split(b";")[0].strip() or b"0", 16):
                        total += size
                        if total > MAX_PAYLOAD_BYTES:
                            return None
                        chunks.append(self.rfile.read(size))
                        self.rfile.readline()
                    self.rfile.readline()
                    return b"".join(chunks)
                length = int(self.headers.get("Content-Length") or 0)
                if length > MAX_PAYLOAD_BYTES:
                    return None
                return self.rfile.read(length) if length else b""

            do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = _serve

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
                log.debug("http: " + format, *args)

        return Handler
