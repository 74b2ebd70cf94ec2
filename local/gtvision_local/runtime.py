"""The local Lambda runtime: loads the template's handlers and delivers their events.

* :class:`SqsPoller` — one per SQS event source: long-polls the emulator, invokes the handler with a
  Lambda SQS event, deletes what succeeded and honours ``ReportBatchItemFailures``.
* :class:`Scheduler` — fires ``Schedule`` events (``rate``/``cron``) with an injectable clock.
* :class:`ApiGateway` — a REST (v1) proxy on ``127.0.0.1:$GTV_API_PORT`` routing ``Api`` events.

Every invocation runs with :data:`current_function` set, so log lines say which function wrote them.
"""

from __future__ import annotations

import base64
import hashlib
import importlib.util
import json
import logging
import os
import sys
import threading
import time
import uuid
import warnings
from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import ModuleType
from typing import Any, cast
from urllib.parse import parse_qsl, unquote, urlsplit

from . import events, schedule
from .resources import aws_client
from .template import ApiEvent, FunctionSpec, QueueSpec, ScheduleEvent, SqsEvent, Template

current_function: ContextVar[str] = ContextVar("gtv_current_function", default="runtime")
"""Logical id of the function whose invocation is running in this thread (``runtime`` outside one)."""

log = logging.getLogger("gtvision_local")

LOG_FORMAT = "%(asctime)s.%(msecs)03d %(levelname)s [%(function)s] %(message)s"
DEFAULT_API_PORT = 3000
CORS_HEADERS = {
    "Access-Control-Allow-Origin": "*",
    "Access-Control-Allow-Methods": "GET,POST,PUT,PATCH,DELETE,OPTIONS,HEAD",
    "Access-Control-Allow-Headers": "Authorization,Content-Type,X-GTV-Camera,X-GTV-Signature",
    "Access-Control-Max-Age": "600",
}


# ---------------------------------------------------------------- logging


class FunctionFilter(logging.Filter):
    """Stamps each record with the function running in the current context."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.function = current_function.get()
        return True


class _ExactSuppressFilter(logging.Filter):
    """Rejects records of logger ``name`` and its children only (not ``name_local`` and the like)."""

    def __init__(self, name: str) -> None:
        super().__init__()
        self.service = name

    def filter(self, record: logging.LogRecord) -> bool:
        return not (record.name == self.service or record.name.startswith(self.service + "."))


class _LocalHandler(logging.StreamHandler):
    """The root handler of local runs (a class of its own so :func:`configure_logging` is idempotent)."""

    def addFilter(self, filter: Any) -> None:  # noqa: A002, N802 - logging's signature
        # Powertools' Logger(service="gtvision") adds a SuppressFilter to root handlers that drops
        # every logger whose name *contains* "gtvision" (meant against duplicates of its own
        # records) - it would silence gtvision_local too. Keep the intent, match exactly.
        if type(filter).__name__ == "SuppressFilter" and isinstance(getattr(filter, "logger", None), str):
            filter = _ExactSuppressFilter(filter.logger)
        super().addFilter(filter)


def configure_logging(level: int | str = logging.INFO) -> None:
    """Give the root logger ``HH:MM:SS.mmm LEVEL [Function] message`` lines on stderr."""
    root = logging.getLogger()
    for handler in [h for h in root.handlers if isinstance(h, _LocalHandler)]:
        root.removeHandler(handler)
    handler = _LocalHandler(sys.stderr)
    handler.addFilter(FunctionFilter())
    handler.setFormatter(logging.Formatter(LOG_FORMAT, datefmt="%H:%M:%S"))
    root.addHandler(handler)
    root.setLevel(level)
    # The emulator and HTTP stacks are chatty at INFO; their problems still show as warnings.
    for noisy in ("botocore", "boto3", "urllib3", "werkzeug", "s3transfer", "pgserver"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    # Powertools warns on every invocation that publishes no metric; locally that is every one.
    warnings.filterwarnings("ignore", message="No application metrics to publish")


# ---------------------------------------------------------------- handlers


_import_lock = threading.Lock()


def load_handler(spec: FunctionSpec) -> Callable[[Any, Any], Any]:
    """Import ``spec.handler`` (``module.attr``) from ``spec.code_uri`` under a unique module name.

    The function directory is first on ``sys.path`` only while importing, so two functions'
    ``app.py`` or ``handler.py`` never shadow each other; functions sharing one file share its module.
    """
    module_path, _, attribute = spec.handler.rpartition(".")
    if not module_path:
        raise ValueError(f"{spec.logical_id}: Handler {spec.handler!r} must be module.attribute")
    file = spec.code_uri / (module_path.replace(".", "/") + ".py")
    if not file.exists():
        raise FileNotFoundError(f"{spec.logical_id}: handler module {file} does not exist")
    # Named after the code directory (functions/api/app.py -> gtv_fn_api_app, as tests/utils names it):
    # a module imported twice would register its chalice blueprints twice, so one file = one module.
    name = f"gtv_fn_{spec.code_uri.name}_{module_path.replace('.', '_')}"
    with _import_lock:
        module = sys.modules.get(name)
        if module is not None and Path(getattr(module, "__file__", "")).resolve() != file.resolve():
            name += "_" + hashlib.sha1(str(file).encode()).hexdigest()[:8]  # same dir name elsewhere
            module = sys.modules.get(name)
        if module is None:
            module = _import_file(name, file, spec.code_uri)
    handler = getattr(module, attribute, None)
    if not callable(handler):
        raise AttributeError(f"{spec.logical_id}: {file.name} has no callable {attribute!r}")
    return handler


def _import_file(name: str, file: Path, code_dir: Path) -> ModuleType:
    module_spec = importlib.util.spec_from_file_location(name, file)
    assert module_spec and module_spec.loader
    module = importlib.util.module_from_spec(module_spec)
    sys.modules[name] = module
    sys.path.insert(0, str(code_dir))
    try:
        module_spec.loader.exec_module(module)
    except BaseException:
        del sys.modules[name]
        raise
    finally:
        sys.path.remove(str(code_dir))
    return module


class Runtime:
    """The template's functions and their event sources, against one emulator endpoint."""

    def __init__(
        self,
        template: Template,
        *,
        endpoint_url: str | None = None,
        api_host: str = "127.0.0.1",
        api_port: int | None = None,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        self.template = template
        self.endpoint_url = endpoint_url or template.endpoint_url
        self.functions = {f.logical_id: f for f in template.functions()}
        self._handlers: dict[str, Callable[[Any, Any], Any]] = {}
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        queues = {q.logical_id: q for q in template.queues()}
        self.pollers = [
            SqsPoller(self, fn, ev, queues[ev.queue])
            for fn in self.functions.values()
            for ev in fn.events_of(SqsEvent)
            if ev.enabled
        ]
        self.scheduler = Scheduler(
            self,
            [(fn, ev) for fn in self.functions.values() for ev in fn.events_of(ScheduleEvent) if ev.enabled],
            clock=clock,
            fire_at_start=os.environ.get("GTV_LOCAL_FIRE_SCHEDULES_AT_START") == "1",
        )
        self.api_host = api_host
        self.api_port = api_port if api_port is not None else int(os.environ.get("GTV_API_PORT", DEFAULT_API_PORT))
        self.routes = [(fn.logical_id, ev) for fn in self.functions.values() for ev in fn.events_of(ApiEvent)]
        self.gateway: ApiGateway | None = None  # bound in start(), so `invoke` never takes the port
        self.websockets: list[Any] = []  # the template's WebSocket APIs (gtvision_local.websocket), bound in start()

    # ------------------------------------------------------------ invocation

    def handler(self, logical_id: str) -> Callable[[Any, Any], Any]:
        if logical_id not in self._handlers:
            self._handlers[logical_id] = load_handler(self.functions[logical_id])
        return self._handlers[logical_id]

    def invoke(self, logical_id: str, event: Any) -> Any:
        """Run one invocation as Lambda would; the handler's exception propagates."""
        spec = self.functions[logical_id]
        handler = self.handler(logical_id)
        context = events.LambdaContext(logical_id, timeout_s=spec.timeout, memory_limit_in_mb=spec.memory_size)
        token = current_function.set(logical_id)
        # The domain layer's plain log formatter keeps its own contextvar (the layer cannot import
        # this package); set it too when the layer is loaded so its lines name the function.
        observability = sys.modules.get("gtvision.observability")
        layer_var = getattr(observability, "current_function", None)
        layer_token = layer_var.set(logical_id) if layer_var is not None else None
        started = time.monotonic()
        try:
            log.debug("START RequestId: %s", context.aws_request_id)
            try:
                return handler(event, context)
            except Exception:
                log.exception("invocation %s failed", context.aws_request_id)
                raise
            finally:
                elapsed = time.monotonic() - started
                level = logging.WARNING if elapsed > spec.timeout else logging.DEBUG
                log.log(
                    level,
                    "END RequestId: %s Duration: %.1f ms (timeout %d s)",
                    context.aws_request_id,
                    elapsed * 1000,
                    spec.timeout,
                )
        finally:
            current_function.reset(token)
            if layer_var is not None and layer_token is not None:
                layer_var.reset(layer_token)

    # ------------------------------------------------------------ lifecycle

    def start(self) -> None:
        """Load every handler with an event source, then start the gateway, pollers and scheduler."""
        broken = set()
        for logical_id, spec in self.functions.items():
            if not spec.events:
                continue
            try:
                self.handler(logical_id)
            except Exception:
                broken.add(logical_id)
                log.exception(
                    "%s: handler %s could not be loaded; its events are not delivered", logical_id, spec.handler
                )
        self._stop.clear()
        if self.routes:  # first: a taken port fails the start before any message is consumed
            self.gateway = ApiGateway(self, self.routes, host=self.api_host, port=self.api_port)
            self.gateway.start()
        from .websocket import start_gateways

        self.websockets = start_gateways(self)
        for poller in self.pollers:
            if poller.function.logical_id not in broken:
                self._spawn(f"sqs-{poller.function.logical_id}-{poller.event.name}", poller.run)
        self.scheduler.targets = [t for t in self.scheduler.targets if t.function_id not in broken]
        if self.scheduler.targets:
            self._spawn("scheduler", self.scheduler.run)

    def _spawn(self, name: str, target: Callable[[threading.Event], None]) -> None:
        thread = threading.Thread(target=target, args=(self._stop,), name=name, daemon=True)
        thread.start()
        self._threads.append(thread)

    def stop(self, timeout: float = 10.0) -> None:
        """Stop polling and serving; waits for in-flight invocations up to ``timeout`` seconds."""
        self._stop.set()
        if self.gateway:
            self.gateway.stop()
            self.gateway = None
        for websocket in self.websockets:
            websocket.stop()
        self.websockets = []
        deadline = time.monotonic() + timeout
        for thread in self._threads:
            thread.join(max(0.0, deadline - time.monotonic()))
        self._threads = [t for t in self._threads if t.is_alive()]
        if self._threads:
            log.warning("still running after %.0f s: %s", timeout, [t.name for t in self._threads])


# ---------------------------------------------------------------- SQS


class SqsPoller:
    """Delivers one queue to one function as Lambda's SQS event source mapping does."""

    def __init__(
        self, runtime: Runtime, function: FunctionSpec, event: SqsEvent, queue: QueueSpec, wait_seconds: int = 1
    ) -> None:
        self.runtime = runtime
        self.function = function
        self.event = event
        self.queue = queue
        self.wait_seconds = wait_seconds
        self._sqs = aws_client("sqs", runtime.endpoint_url)

    def _visibility_timeout(self) -> int:
        override = os.environ.get("GTV_LOCAL_VISIBILITY_TIMEOUT")
        return int(override) if override else self.queue.visibility_timeout

    def poll_once(self) -> int:
        """Receive one batch and process it; returns how many records were delivered.

        Redrive to the DLQ is the emulator's job: moto (like SQS) moves a message whose receive
        count reached ``maxReceiveCount`` to the dead-letter queue on the next receive.
        """
        batch_size = max(1, self.event.batch_size)
        messages = self._receive(batch_size, self.wait_seconds)
        # Like Lambda, fill the batch (SQS gives at most 10 per receive) for up to the batching window.
        deadline = time.monotonic() + self.event.batching_window
        while messages and len(messages) < batch_size:
            seen = {m["MessageId"] for m in messages}
            # A message whose (short, test) visibility timeout ran out meanwhile is not added twice.
            more = [m for m in self._receive(batch_size - len(messages), 0) if m["MessageId"] not in seen]
            if more:
                messages += more
            elif time.monotonic() >= deadline:
                break
            else:
                time.sleep(0.05)
        if not messages:
            return 0
        records = [events.sqs_record(m, self.queue.arn, self.runtime.template.region) for m in messages]
        try:
            result = self.runtime.invoke(self.function.logical_id, {"Records": records})
        except Exception:
            self._log(
                logging.WARNING,
                "batch of %d failed: none deleted, retried after %d s",
                len(records),
                self._visibility_timeout(),
            )
            return len(records)
        failed = self._failed_ids(result, records)
        done = [r for r in records if r["messageId"] not in failed]
        for start in range(0, len(done), 10):
            chunk = done[start : start + 10]
            self._sqs.delete_message_batch(
                QueueUrl=self.queue.url,
                Entries=[{"Id": str(i), "ReceiptHandle": r["receiptHandle"]} for i, r in enumerate(chunk)],
            )
        if failed:
            self._log(
                logging.WARNING,
                "batch of %d: %d ok, %d failed (retried after %d s)",
                len(records),
                len(done),
                len(failed),
                self._visibility_timeout(),
            )
        else:
            self._log(logging.INFO, "batch of %d from %s ok", len(records), self.queue.name)
        return len(records)

    def _receive(self, count: int, wait_seconds: int) -> list[dict[str, Any]]:
        response = self._sqs.receive_message(
            QueueUrl=self.queue.url,
            MaxNumberOfMessages=min(count, 10),
            WaitTimeSeconds=wait_seconds,
            VisibilityTimeout=self._visibility_timeout(),
            AttributeNames=["All"],
            MessageAttributeNames=["All"],
        )
        return list(response.get("Messages", []))

    def _failed_ids(self, result: Any, records: list[dict[str, Any]]) -> set[str]:
        """Message ids to keep; like Lambda, a malformed failure list fails the whole batch."""
        ids = {r["messageId"] for r in records}
        if not self.event.reports_batch_item_failures or not isinstance(result, dict):
            return set()
        failures = result.get("batchItemFailures") or []
        failed = {f.get("itemIdentifier") if isinstance(f, dict) else None for f in failures}
        if not failed <= ids:
            self._log(logging.WARNING, "invalid batchItemFailures %r: whole batch retried", failures)
            return ids
        return cast("set[str]", failed)  # a subset of ids: every member is a message id

    def _log(self, level: int, message: str, *args: Any) -> None:
        token = current_function.set(self.function.logical_id)
        try:
            log.log(level, message, *args)
        finally:
            current_function.reset(token)

    def run(self, stop: threading.Event) -> None:
        while not stop.is_set():
            try:
                self.poll_once()
            except Exception as exc:  # the emulator restarting must not kill the poller
                self._log(logging.ERROR, "polling %s failed: %s", self.queue.name, exc)
                stop.wait(2)


# ---------------------------------------------------------------- schedules


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass
class ScheduleTarget:
    function_id: str
    event: ScheduleEvent
    expression: schedule.Expression
    anchor: datetime
    next_fire: datetime | None
    fire_now: bool = False

    @property
    def rule_arn(self) -> str:
        return events.schedule_rule_arn(self.function_id, self.event.name)


class Scheduler:
    """Fires ``Schedule`` events. Missed fires (clock jumps, a long run) coalesce into one."""

    def __init__(
        self,
        runtime: Runtime,
        targets: list[tuple[FunctionSpec, ScheduleEvent]],
        *,
        clock: Callable[[], datetime] | None = None,
        fire_at_start: bool = False,
    ) -> None:
        self.runtime = runtime
        self.clock = clock or utc_now
        now = self.clock()
        self.targets = []
        for fn, ev in targets:
            expression = schedule.parse(ev.expression)
            self.targets.append(
                ScheduleTarget(fn.logical_id, ev, expression, now, expression.next_after(now, now), fire_at_start)
            )

    def tick(self) -> list[tuple[str, datetime]]:
        """Fire every due target once; returns ``(function id, scheduled time)`` of each fire."""
        now = self.clock()
        fired = []
        for target in self.targets:
            if target.fire_now:
                target.fire_now = False
                fired.append((target.function_id, now))
                self._fire(target, now)
            if target.next_fire is not None and target.next_fire <= now:
                moment = target.next_fire
                target.next_fire = target.expression.next_after(now, target.anchor)
                fired.append((target.function_id, moment))
                self._fire(target, moment)
        return fired

    def _fire(self, target: ScheduleTarget, moment: datetime) -> None:
        event = (
            json.loads(target.event.input) if target.event.input else events.scheduled_event(target.rule_arn, moment)
        )
        try:
            self.runtime.invoke(target.function_id, event)
        except Exception:  # logged by invoke; a schedule keeps firing after a failed run
            pass

    def seconds_until_next(self) -> float:
        upcoming = [t.next_fire for t in self.targets if t.next_fire is not None]
        if not upcoming:
            return 60.0
        return max(0.0, (min(upcoming) - self.clock()).total_seconds())

    def run(self, stop: threading.Event) -> None:
        for target in self.targets:
            token = current_function.set(target.function_id)
            log.info(
                "schedule %s: %s, next %s",
                target.event.name,
                target.event.expression,
                target.next_fire and events.iso_z(target.next_fire),
            )
            current_function.reset(token)
        while not stop.is_set():
            self.tick()
            stop.wait(min(1.0, max(0.05, self.seconds_until_next())))


# ---------------------------------------------------------------- API gateway


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

    def __init__(self, runtime: Runtime, routes: list[tuple[str, ApiEvent]], host: str, port: int) -> None:
        self.runtime = runtime
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
            result = self.runtime.invoke(route.function_id, event)
        except Exception:
            return _error(502, "internal_error", "A função falhou; veja o log do gtvision local.")
        return self._response(route, result)

    def _response(self, route: Route, result: Any) -> tuple[int, dict[str, list[str]], bytes]:
        if not isinstance(result, dict) or "statusCode" not in result:
            token = current_function.set(route.function_id)
            log.error("malformed proxy response (no statusCode): %.200r", result)
            current_function.reset(token)
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
                token = current_function.set(route.function_id if route else "api")
                log.info(
                    "%s %s -> %d (%.0f ms)",
                    self.command,
                    self.path.split("?", 1)[0],
                    status,
                    (time.monotonic() - started) * 1000,
                )
                current_function.reset(token)

            def _read_body(self) -> bytes:
                if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
                    chunks = []
                    while size := int(self.rfile.readline().split(b";")[0].strip() or b"0", 16):
                        chunks.append(self.rfile.read(size))
                        self.rfile.readline()
                    self.rfile.readline()
                    return b"".join(chunks)
                length = int(self.headers.get("Content-Length") or 0)
                return self.rfile.read(length) if length else b""

            do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = _serve

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
                log.debug("http: " + format, *args)

        return Handler
