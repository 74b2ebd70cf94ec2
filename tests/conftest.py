"""Shared fixtures: a real embedded PostgreSQL, a real moto server over HTTP, the API app and test data."""

from __future__ import annotations

import fcntl
import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from gtvision_local.ports import free_port

REPO = Path(__file__).resolve().parents[1]

# Functions see the same env as in the local runtime; set before any gtvision import reads settings.
os.environ.setdefault("GTV_JWT_SECRET", "test-jwt-secret-0123456789abcdef0123456789abcdef")
os.environ.setdefault("GTV_DATA_KEY", "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=")
os.environ.setdefault("GTV_ADMIN_USER", "admin")
os.environ.setdefault("GTV_ADMIN_PASSWORD", "admin-test-password")
# Cheap argon2 in tests only (the deployed default is 64 MiB, t=3): hashing is not what is under test.
os.environ.setdefault("GTV_ARGON2_TIME_COST", "1")
os.environ.setdefault("GTV_ARGON2_MEMORY_KIB", "1024")
os.environ.setdefault("GTV_MEDIAMTX_HOOK_SECRET", "test-mediamtx-hook-secret")
os.environ.setdefault("GTV_ALERTMANAGER_HOOK_SECRET", "test-alertmanager-hook-secret")
# Quotas ×100 in tests: suites make many clips/searches per minute; tests/integration/test_quotas.py sets 1.
os.environ.setdefault("GTV_QUOTA_SCALE", "100")
os.environ.setdefault("AWS_ACCESS_KEY_ID", "test")
os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "test")
os.environ.setdefault("AWS_REGION", "us-east-1")
os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The infrastructure tests first: their in-process moto mocks (`mock_aws`) reset moto's backends, which are
    global to the process and so shared with the suite's moto server; run first, they reset nothing another test
    made. With parallel workers (pytest -n, --dist loadfile) files are handed out in this order, so no worker
    gets one of them after it started the suite's server."""
    items.sort(key=lambda item: 0 if "infrastructure" in item.path.parts else 1)


#: What a local runtime started inside a test writes into os.environ for the functions it serves: a later test
#: in the same process must not find a live-events endpoint that is gone (the console would try to open it).
_RUNTIME_ENV = ("GTV_WS_URL", "GTV_WS_MANAGEMENT_URL")


@pytest.fixture(autouse=True)
def _runtime_env_restored() -> Iterator[None]:
    before = {name: os.environ.get(name) for name in _RUNTIME_ENV}
    yield
    changed = False
    for name, value in before.items():
        if os.environ.get(name) != value:
            changed = True
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
    if changed:
        from gtvision.core.settings import get_settings

        get_settings.cache_clear()


@pytest.fixture(scope="session")
def database_url() -> Iterator[str]:
    """A real PostgreSQL: DATABASE_URL if given (CI with a server), else an embedded pgserver in a temp dir."""
    from gtvision.core import migrations

    url = os.environ.get("GTV_TEST_DATABASE_URL")
    srv = None
    tmp = None
    if not url:
        import pgserver

        tmp = tempfile.mkdtemp(prefix="gtv-pg-")
        # Parallel workers (pytest -n) start their servers at once; pgserver's first start as root creates its
        # system user, which two processes must not do together.
        with open(Path(tempfile.gettempdir()) / "gtv-pgserver.lock", "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            srv = pgserver.get_server(tmp, cleanup_mode="delete")
        url = srv.get_uri()
    migrations.apply(url)
    os.environ["DATABASE_URL"] = url
    from gtvision.core.settings import get_settings

    get_settings.cache_clear()
    yield url
    from gtvision.core import db

    db.close_all()
    if srv is not None:
        srv.cleanup()


@pytest.fixture(scope="session")
def aws_endpoint() -> Iterator[str]:
    """moto in server mode on a free port, with the template's buckets, queues and notifications created.

    In a process of its own: moto's backends are global to a process, so a server in the test process would
    share its state with every other moto a test starts there (`mock_aws` resets it, in-process local stacks
    and their emulator state write into it); the suite's emulator is reached over HTTP only, as in AWS."""
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 30
    while True:
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                break
        if server.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(f"moto server did not start on port {port} (exit {server.poll()})")
        time.sleep(0.05)
    endpoint = f"http://127.0.0.1:{port}"
    os.environ["AWS_ENDPOINT_URL"] = endpoint
    from gtvision_local import resources, template

    tpl = template.load_template(REPO / "template.yaml", endpoint_url=endpoint)
    resources.create_resources(tpl, endpoint)
    for key, value in tpl.globals_env().items():
        # Secrets come by ARN in AWS; tests seed their own (test_secrets.py).
        secrets: tuple[str, ...] = ("GTV_JWT_SECRET_ARN", "GTV_DATA_KEY_SECRET_ARN", "DATABASE_SECRET_ARN")
        secrets += ("GTV_MEDIAMTX_HOOK_SECRET_ARN",)
        if key not in ("DATABASE_URL", "GTV_JWT_SECRET", "GTV_DATA_KEY", "GTV_COGNITO_JWKS_URL", *secrets) and value:
            os.environ[key] = str(value)
    from gtvision.core import aws
    from gtvision.core.settings import get_settings

    get_settings.cache_clear()
    aws.reset()
    yield endpoint
    server.terminate()
    try:
        server.wait(timeout=10)
    except subprocess.TimeoutExpired:
        server.kill()


@pytest.fixture(scope="session")
def stack(database_url: str, aws_endpoint: str) -> dict[str, str]:
    """Both real back ends, plus the first admin."""
    from gtvision.core.settings import get_settings
    from gtvision.tenancy.users import ensure_first_admin

    get_settings.cache_clear()
    ensure_first_admin()
    return {"database_url": database_url, "aws_endpoint": aws_endpoint}


@pytest.fixture(scope="session")
def api(stack: dict[str, str]):
    """The chalice app driven through API Gateway proxy events (in process)."""
    from utils import ApiClient

    return ApiClient.for_app()


@pytest.fixture()
def world(api):
    """Two cities, each with a manager and a viewer, and an admin session."""
    from utils import World

    return World.build(api)
