"""The API's route modules load on the first request they may serve (ADR 0029): the table of their paths covers
every route they declare, a cold import of the handler loads none of them (nor the features behind them), a
request loads its own, and the SnapStart warm-up loads them all before the snapshot."""

from __future__ import annotations

import functools
import importlib
import json
import os
import subprocess
import sys

from utils import REPO, load_function

from chalicelib.proxy import covers

API_DIR = REPO / "functions" / "api"

#: Features the API reaches only through routes a cold start has not served yet (each ~5-15 ms of models).
HEAVY = (
    "gtvision.cases.schemas",
    "gtvision.sharing.schemas",
    "gtvision.alerts.schemas",
    "gtvision.lpr.schemas",
    "gtvision.recordings.schemas",
    "gtvision.exports.schemas",
    "gtvision.sentinela.schemas",
    "gtvision.health.schemas",
    "gtvision.clips.schemas",
)

_PROBE = """
import json, sys
import app

def loaded(prefix):
    return sorted(n for n in sys.modules if n.startswith(prefix))

def event(method, path):
    return {"resource": "/{proxy+}", "path": path, "httpMethod": method, "headers": {}, "multiValueHeaders": {},
            "queryStringParameters": None, "multiValueQueryStringParameters": None,
            "pathParameters": {"proxy": path.lstrip("/")}, "stageVariables": None,
            "requestContext": {"resourcePath": "/{proxy+}", "httpMethod": method, "path": path},
            "body": None, "isBase64Encoded": False}

out = {"cold": loaded("chalicelib.routes."), "cold_heavy": [n for n in HEAVY if n in sys.modules]}
out["status"] = app.app(event("GET", "/v1/mosaics"), None)["statusCode"]
out["after_request"] = loaded("chalicelib.routes.")
from gtvision.core import snapstart
for func, args, kwargs in snapstart.registered_hooks()[0]:  # as Lambda's runtime runs them before the snapshot
    func(*args, **kwargs)
out["after_warm_up"] = loaded("chalicelib.routes.")
print(json.dumps(out))
"""


def _routes_package_modules() -> set[str]:
    return {f.stem for f in (API_DIR / "chalicelib" / "routes").glob("*.py") if f.stem != "__init__"}


def test_covers_matches_leading_segments_and_the_root_only_by_itself() -> None:
    assert covers("/v1/clips", "/v1/clips")
    assert covers("/v1/clips", "/v1/clips/1/hold")
    assert covers("/v1/cameras/{camera_id}", "/v1/cameras/abc/timeline")
    assert not covers("/v1/clips", "/v1/clipsx")
    assert not covers("/v1/clips/{clip_id}", "/v1/clips")
    assert not covers("/v1/cameras/{camera_id}/stream", "/v1/cameras/abc/timeline")
    assert covers("/", "/") and not covers("/", "/console")
    # a route template is covered by a pattern as general as it is, not by a literal in place of its {x}
    assert not covers("/v1/cameras/special", "/v1/cameras/{camera_id}")


def test_every_route_is_under_a_pattern_of_the_module_that_declares_it() -> None:
    module = load_function("api")
    assert set(module.ROUTE_MODULES) == _routes_package_modules(), "a route module the app would never load"
    module.app.load_routes()
    seen: set[str] = set()
    for path, methods in module.app.routes.items():
        for method, entry in methods.items():
            owner = entry.view_function.__module__
            if not owner.startswith("chalicelib.routes."):
                continue  # declared in app.py itself (the OpenAPI document): always there
            name = owner.rpartition(".")[2]
            seen.add(name)
            patterns = module.ROUTE_MODULES[name]
            assert any(covers(p, path) for p in patterns), f"{method} {path} ({name}) is under none of {patterns}"
    assert seen == _routes_package_modules()


def test_each_resolver_names_a_function_that_exists() -> None:
    from chalicelib.resolvers import RESOLVERS

    assert len(RESOLVERS) >= 10
    for name, resolver in RESOLVERS.items():
        assert isinstance(resolver, functools.partial), name
        module, function = resolver.args
        assert callable(getattr(importlib.import_module(module), function)), f"{name}: {module}.{function}"


def test_a_cold_import_loads_no_route_module_a_request_loads_its_own_and_the_warm_up_all() -> None:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in sys.path if p)}
    code = f"HEAVY = {HEAVY!r}\n" + _PROBE
    proc = subprocess.run(
        [sys.executable, "-c", code], cwd=API_DIR, env=env, capture_output=True, text=True, timeout=120
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    # Given the handler imported in a fresh interpreter: no route module, none of the heavy features
    assert out["cold"] == []
    assert out["cold_heavy"] == []
    # When a request comes (no token: 401, after its route module was loaded to find the route)
    assert out["status"] == 401
    assert out["after_request"] == ["chalicelib.routes.mosaics"]
    # And SnapStart's warm-up before the snapshot loads every one
    assert out["after_warm_up"] == sorted(f"chalicelib.routes.{n}" for n in _routes_package_modules())
