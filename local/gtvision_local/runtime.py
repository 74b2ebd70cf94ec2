"""The local Lambda runtime: loads the template's handlers and delivers their events.

* :class:`~gtvision_local.sqs.SqsPoller` — one per SQS event source, several batches at once (``sqs.py``).
* :class:`~gtvision_local.schedule.Scheduler` — fires ``Schedule`` events with an injectable clock (``schedule.py``).
* :class:`~gtvision_local.gateway.ApiGateway` — the REST (v1) proxy routing ``Api`` events (``gateway.py``).

Each of them depends on :class:`~gtvision_local.invoker.Invoker`, which :class:`Runtime` is. Every
invocation runs with :data:`gtvision.core.observability.current_function` set (the one variable both the
layer's and the runtime's log lines read), so log lines say which function wrote them. A function fed by
SQS gets one execution environment — its own copy of the handler module — per concurrent batch, as in
Lambda: module globals such as a Powertools ``BatchProcessor`` hold one invocation's state.
"""

from __future__ import annotations

import functools
import hashlib
import importlib.util
import logging
import os
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from types import ModuleType
from typing import Any, cast

from gtvision.core.observability import current_function

from . import events, metrics
from .gateway import DEFAULT_API_PORT, ApiGateway
from .logs import log
from .schedule import Scheduler
from .sqs import SqsPoller
from .template import ApiEvent, FunctionSpec, QueueSpec, ScheduleEvent, SqsEvent, Template
from .websocket import WebSocketGateway, start_gateways

_import_lock = threading.Lock()


def load_module(spec: FunctionSpec, copy: int = 0) -> ModuleType:
    """Import the module of ``spec.handler`` (``module.attr``) from ``spec.code_uri`` (``copy``: see below)."""
    module_path, _, _ = spec.handler.rpartition(".")
    if not module_path:
        raise ValueError(f"{spec.logical_id}: Handler {spec.handler!r} must be module.attribute")
    return load_function_module(spec.code_uri, module_path, spec.logical_id, copy)


def load_function_module(code_dir: Path, module_path: str, logical_id: str = "", copy: int = 0) -> ModuleType:
    """Import ``<code_dir>/<module_path>.py`` under a unique module name, once per file (and ``copy``).

    The function directory is first on ``sys.path`` only while importing, so two functions'
    ``app.py`` or ``handler.py`` never shadow each other; functions sharing one file share its module.
    ``copy`` > 0 imports the file again under another name: another execution environment's module.
    """
    file = code_dir / (module_path.replace(".", "/") + ".py")
    if not file.exists():
        raise FileNotFoundError(f"{logical_id or code_dir.name}: handler module {file} does not exist")
    # Named after the code directory (functions/api/app.py -> gtv_fn_api_app): a module imported
    # twice would register its chalice blueprints twice, so one file = one module.
    name = f"gtv_fn_{code_dir.name}_{module_path.replace('.', '_')}" + (f"__env{copy}" if copy else "")
    with _import_lock:
        module = sys.modules.get(name)
        if module is not None and Path(getattr(module, "__file__", "")).resolve() != file.resolve():
            name += "_" + hashlib.sha1(str(file).encode()).hexdigest()[:8]  # same dir name elsewhere
            module = sys.modules.get(name)
        if module is None:
            module = _import_file(name, file, code_dir)
    return module


def load_handler(spec: FunctionSpec, copy: int = 0) -> Callable[[Any, Any], Any]:
    """The handler callable ``spec.handler`` names, its module imported by :func:`load_module`."""
    module = load_module(spec, copy)
    attribute = spec.handler.rpartition(".")[2]
    handler = getattr(module, attribute, None)
    if not callable(handler):
        raise AttributeError(f"{spec.logical_id}: {module.__file__} has no callable {attribute!r}")
    return cast("Callable[[Any, Any], Any]", handler)


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


class Environments:
    """Up to ``limit`` execution environments of one function, each leased by one invocation at a time.

    Environment 0 is the handler :meth:`Runtime.handler` gives; others are loaded when every one is busy.
    """

    def __init__(self, first: Callable[[], Callable[[Any, Any], Any]], spec: FunctionSpec, limit: int) -> None:
        self._first = first
        self._spec = spec
        self.limit = limit
        self._copies: dict[int, Callable[[Any, Any], Any]] = {}
        self._idle = {0}
        self._loaded = 1
        self._ready = threading.Condition()

    @contextmanager
    def lease(self) -> Iterator[Callable[[Any, Any], Any]]:
        with self._ready:
            while not self._idle and self._loaded >= self.limit:
                self._ready.wait()
            if self._idle:
                index = min(self._idle)  # the lowest: sequential invocations always get environment 0
                self._idle.discard(index)
            else:
                index, self._loaded = self._loaded, self._loaded + 1
        try:
            if index and index not in self._copies:
                self._copies[index] = load_handler(self._spec, copy=index)
            yield self._copies[index] if index else self._first()
        finally:
            with self._ready:
                self._idle.add(index)
                self._ready.notify()


class Runtime:
    """The template's functions and their event sources, against one emulator endpoint (an :class:`Invoker`)."""

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
            self._poller(fn, ev, queues[ev.queue])
            for fn in self.functions.values()
            for ev in fn.events_of(SqsEvent)
            if ev.enabled
        ]
        # One environment per batch a function's SQS sources may run at once; the others share one.
        self._environments = {
            fn_id: Environments(functools.partial(self.handler, fn_id), self.functions[fn_id], limit)
            for fn_id in {p.function.logical_id for p in self.pollers}
            if (limit := sum(p.concurrency for p in self.pollers if p.function.logical_id == fn_id)) > 1
        }
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
        self.websockets: list[WebSocketGateway] = []  # the template's WebSocket APIs, bound in start()
        self._emf_tee: metrics.EmfTee | None = None
        self._collecting = False

    def _poller(self, fn: FunctionSpec, event: SqsEvent, queue: QueueSpec) -> SqsPoller:
        consumers = tuple(self.template.consumers(queue.redrive.dlq)) if queue.redrive else ()
        return SqsPoller(
            self,
            fn,
            event,
            queue,
            endpoint_url=self.endpoint_url,
            region=self.template.region,
            dead_letter_consumers=consumers,
        )

    # ------------------------------------------------------------ invocation

    def handler(self, logical_id: str) -> Callable[[Any, Any], Any]:
        if logical_id not in self._handlers:
            self._handlers[logical_id] = load_handler(self.functions[logical_id])
        return self._handlers[logical_id]

    @contextmanager
    def _environment(self, logical_id: str) -> Iterator[Callable[[Any, Any], Any]]:
        environments = self._environments.get(logical_id)
        if environments is None:
            yield self.handler(logical_id)
            return
        with environments.lease() as handler:
            yield handler

    def invoke(self, logical_id: str, event: Any) -> Any:
        """Run one invocation as Lambda would; the handler's exception propagates."""
        with self._environment(logical_id) as handler:
            return self._run(logical_id, handler, event)

    def _run(self, logical_id: str, handler: Callable[[Any, Any], Any], event: Any) -> Any:
        spec = self.functions[logical_id]
        context = events.LambdaContext(logical_id, timeout_s=spec.timeout, memory_limit_in_mb=spec.memory_size)
        token = current_function.set(logical_id)
        if self._collecting:  # again: something (a test harness) may have replaced sys.stdout since start()
            self._emf_tee = metrics.install_stdout() or self._emf_tee
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
        # The EMF lines functions print feed GET /metrics on the API port (CloudWatch's part, locally).
        self._emf_tee = metrics.install_stdout()
        self._collecting = True
        if self.routes:  # first: a taken port fails the start before any message is consumed
            self.gateway = ApiGateway(self, self.routes, host=self.api_host, port=self.api_port)
            self.gateway.start()
        self.websockets = start_gateways(self, self.template)
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
        self._collecting = False
        metrics.uninstall_stdout(self._emf_tee)
        self._emf_tee = None
