"""The whole local stack behind ``gtvision local up``: PostgreSQL, the AWS emulator, and the runtime.

PostgreSQL is an embedded pgserver under ``<repo>/.local/pgdata`` (``GTV_LOCAL_DIR`` moves it), running
while the stack runs (``gtvision local invoke`` reaches it then) and stopped with it, its data kept,
unless ``DATABASE_URL`` is set; the emulator is moto in
server mode on ``127.0.0.1:4566`` (or ``AWS_ENDPOINT_URL``'s port) unless ``GTV_EXTERNAL_AWS=1``, its S3 objects
and SQS messages kept under ``.local/aws`` (``emulator_state.py``, ADR 0023).
Secrets are generated once into ``.local/secrets.json``; the running stack's URLs go to
``.local/stack.json`` for ``invoke``.
"""

from __future__ import annotations

import base64
import json
import logging
import os
import secrets
import signal
import socket
import sys
import tempfile
import threading
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from gtvision.core import aws, db, migrations
from gtvision.core.settings import get_settings
from gtvision.core.timeutil import format_rfc3339
from gtvision.tenancy.users import ensure_first_admin

from . import recovery, websocket
from .demo import Demo, run_demo
from .emulator_state import EmulatorState, Restored
from .logs import configure_logging
from .paths import repo_root, state_dir
from .platform_metrics import ObservedRuntime
from .ports import apply_port_base
from .resources import create_resources
from .runtime import Runtime
from .template import DEFAULT_ENDPOINT, REGION, ApiEvent, ScheduleEvent, SqsEvent, Template, load_template
from .websocket_spec import local_urls

log = logging.getLogger("gtvision_local")

# Template parameters fed from the local stack (the rest keep their defaults).
_STACK_PARAMETERS = {"DatabaseUrl": "DATABASE_URL", "JwtSecret": "GTV_JWT_SECRET", "DataKey": "GTV_DATA_KEY"}

# The template points these at the deployment's MediaMTX host (parameters MediaMtxApiUrl/MediaMtxPublicHost)
# and user.
# Locally MediaMTX runs beside the stack (docker compose or a native binary): the values come from the
# environment (GTV_PORT_BASE derives them, ports.py), else Settings' 127.0.0.1 defaults - never from the
# template's production placeholders.
_LOCAL_FROM_ENVIRONMENT = frozenset(
    {
        "GTV_MEDIAMTX_API_URL",
        "GTV_MEDIAMTX_HLS_URL",
        "GTV_MEDIAMTX_WEBRTC_URL",
        "GTV_MEDIAMTX_RTSP_URL",
        "GTV_MEDIAMTX_USER",
    }  # fmt: skip
)


def local_secrets(root: Path) -> dict[str, str]:
    """``GTV_JWT_SECRET`` and ``GTV_DATA_KEY``: from env, else generated once into ``.local/secrets.json``."""
    generators = {
        "GTV_JWT_SECRET": lambda: secrets.token_urlsafe(48),
        "GTV_DATA_KEY": lambda: base64.b64encode(secrets.token_bytes(32)).decode(),
    }
    values = {name: os.environ[name] for name in generators if os.environ.get(name)}
    if len(values) == len(generators):
        return values
    file = state_dir(root) / "secrets.json"
    stored: dict[str, str] = json.loads(file.read_text()) if file.exists() else {}
    missing = [name for name in generators if name not in stored]
    for name in missing:
        stored[name] = generators[name]()
    if missing:
        file.write_text(json.dumps(stored, indent=2) + "\n")
        file.chmod(0o600)
    return {name: values.get(name) or stored[name] for name in generators}


def local_env(
    template: Template, database_url: str, endpoint_url: str, secret_values: dict[str, str], *, metrics: bool = False
) -> dict[str, str]:
    """The environment every function sees locally: AWS emulator, database, secrets and the template's env.

    Function-level variables are merged in (one process runs every function). The operator's environment
    wins over every setting the template gives as a plain value (``GTV_RECORDING_STALL_S=5 make run``) and
    over empty ones (e.g. ``GTV_COGNITO_JWKS_URL``); references to the template's resources (bucket, queue
    URLs) are the stack's own; the MediaMTX URLs are left to the environment (see ``_LOCAL_FROM_ENVIRONMENT``).
    """
    env = {
        "AWS_ENDPOINT_URL": endpoint_url,
        "AWS_REGION": REGION,
        "AWS_DEFAULT_REGION": REGION,
        # Fixed fake credentials: a missing endpoint can then never reach a real account.
        "AWS_ACCESS_KEY_ID": "test",
        "AWS_SECRET_ACCESS_KEY": "test",
        "GTV_LOCAL": "1",
        # EMF metric blobs on stdout would drown the readable log lines: a served stack (`metrics`) collects
        # them for GET /metrics without printing them (gtvision_local.metrics); `invoke` turns them off.
        "POWERTOOLS_METRICS_DISABLED": (
            os.environ.get("POWERTOOLS_METRICS_DISABLED") or ("false" if metrics else "true")
        ),
    }
    merged = template.globals_env()
    for fn in template.functions():
        for name, value in fn.env.items():
            if name in merged and merged[name] != value:
                log.warning("%s sets %s differently from another function; locally one value wins", fn.logical_id, name)
            merged[name] = value
    literals = template.literal_env_names()
    for name, value in merged.items():
        if name in _LOCAL_FROM_ENVIRONMENT:
            continue
        given = os.environ.get(name)
        env[name] = given if given and (name in literals or not value) else value
    env.update(secret_values)
    env["DATABASE_URL"] = database_url
    env.update(local_urls())  # the template's execute-api URLs, served locally on GTV_WS_PORT
    return env


def _stack_parameters(template_path: Path, values: dict[str, str]) -> dict[str, str]:
    declared = set(Template(template_path).doc.get("Parameters") or {})
    return {param: values[env] for param, env in _STACK_PARAMETERS.items() if param in declared and env in values}


class PortInUse(RuntimeError):
    """A port the stack needs is taken (another `gtvision local up`?)."""


def _port_is_free(host: str, port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex((host, port)) != 0


class LocalStack:
    """Start/stop PostgreSQL, moto and the runtime for one repository checkout."""

    def __init__(
        self, root: Path | None = None, *, template_path: Path | None = None, api_port: int | None = None
    ) -> None:
        """``root`` holds ``template.yaml`` and ``.local/``; ``template_path`` alone implies its directory."""
        self.root = (root or (template_path.parent if template_path else repo_root())).resolve()
        self.template_path = (template_path or self.root / "template.yaml").resolve()
        self.api_port = api_port
        self.database_url = ""
        self.endpoint_url = ""
        self.admin_password: str | None = None
        self.template: Template | None = None
        self.runtime: Runtime | None = None
        self.demo: Demo | None = None
        self._moto: Any = None
        self._front: Any = None
        self._restored: Restored | None = None
        self._pg: Any = None
        self._stop = threading.Event()
        self._tmpdir: tuple[str | None, str | None] | None = None

    @property
    def api_url(self) -> str:
        return self.runtime.gateway.url if self.runtime and self.runtime.gateway else ""

    # ------------------------------------------------------------ back ends

    def _start_database(self) -> str:
        if os.environ.get("DATABASE_URL"):
            return os.environ["DATABASE_URL"]
        import pgserver

        # Stopped (not deleted) when the stack stops: Ctrl-C leaves no process behind, and the data
        # stays in .local/pgdata (git-ignored) for the next `make run`.
        pgdata = state_dir(self.root) / "pgdata"
        recovery.forget_dead_pg_handles(pgdata)  # else a crash before this run keeps Ctrl-C from stopping it
        self._pg = pgserver.get_server(pgdata, cleanup_mode="stop")
        return str(self._pg.get_uri())

    def _start_emulator(self) -> str:
        endpoint = os.environ.get("AWS_ENDPOINT_URL") or DEFAULT_ENDPOINT
        if os.environ.get("GTV_EXTERNAL_AWS") == "1":
            return endpoint
        parts = urlsplit(endpoint)
        host, port = "127.0.0.1", parts.port or 4566
        if not _port_is_free(host, port):
            raise PortInUse(
                f"porta {port} já está em uso (outro `gtvision local up`?). "
                "Use AWS_ENDPOINT_URL com outra porta, ou GTV_EXTERNAL_AWS=1 para usar esse emulador."
            )
        from moto.server import ThreadedMotoServer

        from .sigv4_front import SigV4Front

        # moto accepts any signature: it listens on an internal port behind a front that checks SigV4 (so a
        # tampered presigned URL is a 403 locally, as in AWS), and the front takes the public port.
        with socket.socket() as probe:
            probe.bind((host, 0))
            internal = int(probe.getsockname()[1])
        self._moto = ThreadedMotoServer(ip_address=host, port=internal, verbose=False)
        self._moto.start()
        # moto keeps no state of its own: the saved one goes back in before the front lets any client in.
        upstream = f"http://{host}:{internal}"
        state = EmulatorState(state_dir(self.root) / "aws", upstream)
        self._restored = state.restore()
        self._front = SigV4Front(host, port, upstream, state=state).start()
        return f"http://{host}:{port}"

    # ------------------------------------------------------------ lifecycle

    def start(self, *, serve: bool = True, secrets_by_arn: bool = False) -> LocalStack:
        """Bring everything up; with ``serve=False`` stop before starting pollers/scheduler/gateway.

        ``secrets_by_arn``: seed the emulator's Secrets Manager/KMS and give the functions only the ARNs, as
        in AWS (``gtvision local up`` does; in-process test stacks keep plain values they share with tests).
        """
        apply_port_base()  # GTV_PORT_BASE: every port of this stack, MediaMTX's included, moved at once
        secret_values = local_secrets(self.root)
        self._tmpdir = (os.environ.get("TMPDIR"), tempfile.tempdir)
        recovery.fresh_scratch(state_dir(self.root) / "tmp")  # the functions' /tmp: a killed clip cut leaves nothing
        self.database_url = self._start_database()
        self.endpoint_url = self._start_emulator()
        parameters = _stack_parameters(self.template_path, {**secret_values, "DATABASE_URL": self.database_url})
        self.template = load_template(self.template_path, parameters=parameters, endpoint_url=self.endpoint_url)
        os.environ.update(local_env(self.template, self.database_url, self.endpoint_url, secret_values, metrics=serve))
        # Settings and AWS clients are read from the environment on first use: forget any made before.
        get_settings.cache_clear()
        aws.reset()
        create_resources(self.template, self.endpoint_url)
        if secrets_by_arn:
            from .secrets_local import SECRETS, seed_secrets

            present = {name: os.environ[name] for name in SECRETS if os.environ.get(name)}
            os.environ.update(seed_secrets(self.endpoint_url, {**present, **secret_values}))
            for plain in SECRETS:
                os.environ.pop(plain, None)
            get_settings.cache_clear()  # read them again, now by ARN
        applied = migrations.apply(self.database_url)
        if applied:
            log.info("migrations applied: %s", ", ".join(applied))
        if self._restored is not None and not self._restored.found:
            recovery.announce_lost_emulator_state()
        self.admin_password = ensure_first_admin()
        if self.admin_password:
            print(f"admin password: {self.admin_password}", flush=True)

        self.runtime = ObservedRuntime(self.template, endpoint_url=self.endpoint_url, api_port=self.api_port)
        if serve:
            try:
                self.runtime.start()
            except websocket.PortTaken as exc:
                self.runtime.stop()
                raise PortInUse(exc.strerror) from exc
            except OSError as exc:
                raise PortInUse(
                    f"a API não abriu {self.runtime.api_host}:{self.runtime.api_port} ({exc.strerror}); "
                    "use GTV_API_PORT ou --api-port."
                ) from exc
        self._write_state()
        return self

    def _write_state(self) -> None:
        state = {
            "pid": os.getpid(),
            "database_url": self.database_url,
            "endpoint_url": self.endpoint_url,
            "api_url": self.api_url,
            "started_at": format_rfc3339(datetime.now(UTC), "seconds"),
        }
        (state_dir(self.root) / "stack.json").write_text(json.dumps(state, indent=2) + "\n")

    def invoke(self, logical_id: str, event: Any) -> Any:
        assert self.runtime, "start() first"
        return self.runtime.invoke(logical_id, event)

    def banner(self) -> str:
        assert self.template and self.runtime
        lines = [
            "GT-Vision local stack",
            f"  API            {self.api_url or '(no Api events in template.yaml: run `gtvision routes sync`)'}",
            f"  AWS emulator   {self.endpoint_url}" + ("" if self._moto else "  (external)"),
            *(f"  WebSocket API  {ws.url} (gerência {ws.management_url})" for ws in self.runtime.websockets),
            f"  PostgreSQL     {self.database_url}",
            "  functions:",
        ]
        for fn in self.template.functions():
            sources = []
            if apis := fn.events_of(ApiEvent):
                sources.append(f"{len(apis)} routes")
            sources += [f"SQS {self.template.queue_name(e.queue)}" for e in fn.events_of(SqsEvent)]
            sources += [e.expression for e in fn.events_of(ScheduleEvent) if e.enabled]
            lines.append(f"    {fn.logical_id:<24} {', '.join(sources) or 'invoke only'}")
        lines.append("Ctrl-C para parar.")
        return "\n".join(lines)

    def stop_on_signals(self) -> None:
        """Make Ctrl-C and SIGTERM end :meth:`wait` (main thread only).

        Called before the stack starts: a signal that arrives while it starts, or right after the banner,
        still stops it cleanly (exit 0) instead of killing the process with the default action.
        """
        if threading.current_thread() is threading.main_thread():
            for signum in (signal.SIGINT, signal.SIGTERM):
                signal.signal(signum, lambda *_: self._stop.set())

    def wait(self) -> None:
        """Block until Ctrl-C or SIGTERM (see :meth:`stop_on_signals`)."""
        self.stop_on_signals()
        try:
            while not self._stop.wait(0.5):
                pass
        except KeyboardInterrupt:
            pass

    def start_demo(self) -> Demo:
        """Record a test pattern into a demo camera (``gtvision local up --demo``) until :meth:`stop`."""
        self.demo = run_demo(self.api_url)
        return self.demo

    def stop(self) -> None:
        """Stop the demo, the runtime, the emulator and the embedded PostgreSQL (its data stays on disk)."""
        if self.demo is not None:  # first: its last segment is closed and uploaded while the emulator runs
            self.demo.stop()
            self.demo = None
        if self.runtime:
            self.runtime.stop()
        if self._front is not None:
            self._front.stop()
            self._front = None
        if self._moto is not None:
            self._moto.stop()
            self._moto = None
        if self._pg is not None:
            db.close_all()
            self._pg.cleanup()
            self._pg = None
        state = state_dir(self.root) / "stack.json"
        if state.exists() and json.loads(state.read_text()).get("pid") == os.getpid():
            state.unlink()
        if self._tmpdir is not None:
            env_tmp, tempfile.tempdir = self._tmpdir
            if env_tmp is None:
                os.environ.pop("TMPDIR", None)
            else:
                os.environ["TMPDIR"] = env_tmp
            self._tmpdir = None


def invoke_env(template_path: Path | None = None) -> Template:
    """Point this process at the running local stack (for ``gtvision local invoke``); returns the template."""
    apply_port_base()
    path = (template_path or repo_root() / "template.yaml").resolve()
    root = path.parent
    state_file = state_dir(root) / "stack.json"
    state = json.loads(state_file.read_text()) if state_file.exists() else {}
    database_url = os.environ.get("DATABASE_URL") or state.get("database_url")
    if not database_url:
        raise RuntimeError(
            "DATABASE_URL não definido e nenhuma stack local encontrada: rode `gtvision local up` antes."
        )
    endpoint = os.environ.get("AWS_ENDPOINT_URL") or state.get("endpoint_url") or DEFAULT_ENDPOINT
    secret_values = local_secrets(root)
    parameters = _stack_parameters(path, {**secret_values, "DATABASE_URL": database_url})
    template = load_template(path, parameters=parameters, endpoint_url=endpoint)
    os.environ.update(local_env(template, database_url, endpoint, secret_values))
    return template


def run_up(*, demo: bool = False, api_port: int | None = None, template_path: Path | None = None) -> int:
    """``gtvision local up``: start everything, optionally run the demo, serve until Ctrl-C/SIGTERM."""
    configure_logging(os.environ.get("GTV_LOG_LEVEL", "INFO"))
    stack = LocalStack(template_path=template_path, api_port=api_port)
    stack.stop_on_signals()
    try:
        try:
            stack.start(secrets_by_arn=True)
        except PortInUse as exc:
            print(f"gtvision local up: {exc}", file=sys.stderr)
            return 1
        print(stack.banner(), flush=True)
        if demo:
            stack.start_demo()
        stack.wait()
    except KeyboardInterrupt:
        pass
    finally:
        stack.stop()
    return 0
