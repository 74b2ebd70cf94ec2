"""The template's ``Api`` events and the chalice app's routes (``gtvision routes sync``).

The API function has two ``Api`` events, ``/`` and ``/{proxy+}`` with method ANY; its module holds the
chalice ``app`` (:class:`chalicelib.proxy.ProxyChalice`, wrapped by ``Handler: app.handler``), which routes
inside: one Lambda permission however many routes the contract has. ``routes sync`` writes that block
between ``# BEGIN API ROUTES`` and ``# END API ROUTES``; :func:`unreachable_routes` proves every
``@app.route`` is reached through it.
"""

from __future__ import annotations

import re
from pathlib import Path

from .gateway import Route, resolve_route
from .runtime import load_module
from .template import ApiEvent, Template

BEGIN = "# BEGIN API ROUTES"
END = "# END API ROUTES"
API_FUNCTION = "ApiFunction"
# The proxy events of the API function: (event name, path, method), on the template's explicit REST API.
PROXY_EVENTS = (("ProxyRoot", "/", "ANY"), ("ProxyAll", "/{proxy+}", "ANY"))
REST_API_ID = "GtvisionApi"


def app_routes(template: Template, function_id: str = API_FUNCTION) -> list[tuple[str, str]]:
    """``(path, METHOD)`` of every route of the chalice app that ``function_id`` runs, sorted."""
    module = load_module(template.function(function_id))
    app = getattr(module, "app", None)
    getattr(app, "load_routes", lambda: None)()  # route modules the app imports lazily (ADR 0029)
    routes = getattr(app, "routes", None)
    if routes is None:
        raise TypeError(f"{function_id}: {module.__file__} has no chalice `app`")
    return sorted((path, method.upper()) for path, methods in routes.items() for method in methods)


def template_routes(template: Template, function_id: str = API_FUNCTION) -> list[tuple[str, str]]:
    """``(path, METHOD)`` of the ``Api`` events of ``function_id`` in the template, sorted."""
    return sorted((e.path, e.method) for e in template.function(function_id).events_of(ApiEvent))


def sample_path(route_path: str) -> str:
    """A concrete request path for a route: every ``{param}`` becomes ``sample-<param>``."""
    return re.sub(r"\{([^}+]+)\+?\}", lambda m: f"sample-{m.group(1)}", route_path)


def unreachable_routes(template: Template, function_id: str = API_FUNCTION) -> list[str]:
    """App routes a request cannot reach through the template's ``Api`` events (empty = all reachable).

    A request for each route's sample path is routed as API Gateway would (the template's events, most
    specific first), must land on ``function_id``, and then the app's own proxy routing must pick that
    same route with its path parameters.
    """
    app = getattr(load_module(template.function(function_id)), "app", None)
    getattr(app, "load_routes", lambda: None)()
    from chalicelib.proxy import match_route  # the API function's own package, importable once it is loaded

    gateway_routes = [
        Route(fn.logical_id, e.path, e.method) for fn in template.functions() for e in fn.events_of(ApiEvent)
    ]
    app_paths = list(getattr(app, "routes", {}))
    problems = []
    for path, method in app_routes(template, function_id):
        concrete = sample_path(path)
        route = resolve_route(gateway_routes, method, concrete)[0]
        if route is None or route.function_id != function_id:
            problems.append(f"{method} {path}: no Api event of {function_id} matches {concrete}")
            continue
        matched = match_route(app_paths, concrete)
        expected = {p[1:-1]: f"sample-{p[1:-1]}" for p in path.split("/") if p.startswith("{")}
        if matched != (path, expected):
            problems.append(f"{method} {path}: the app routes {concrete} to {matched}")
    return problems


def event_name(path: str, method: str) -> str:
    """A CloudFormation-safe name from method + path: ``GET /v1/cameras/{camera_id}`` → ``GetV1CamerasByCameraId``."""
    words = [method.capitalize()]
    for segment in (s for s in path.split("/") if s):
        param = segment.startswith("{") and segment.endswith("}")
        parts = [p for p in re.split(r"[^A-Za-z0-9]+", segment) if p]
        words.append(("By" if param else "") + "".join(p[:1].upper() + p[1:] for p in parts))
    return "".join(words)


def render_block(routes: list[tuple[str, str]], indent: str) -> list[str]:
    lines: list[str] = []
    used: set[str] = set()
    for path, method in routes:
        name = base = event_name(path, method)
        n = 2
        while name in used:
            name, n = f"{base}{n}", n + 1
        used.add(name)
        lines += [
            f"{indent}{name}:",
            f"{indent}  Type: Api",
            f"{indent}  Properties:",
            f"{indent}    Path: {path}",
            f"{indent}    Method: {method.lower()}",
        ]
    return lines


def render_proxy_block(indent: str) -> list[str]:
    lines: list[str] = []
    for name, path, method in PROXY_EVENTS:
        lines += [
            f"{indent}{name}:",
            f"{indent}  Type: Api",
            f"{indent}  Properties:",
            f"{indent}    RestApiId: !Ref {REST_API_ID}",
            f"{indent}    Path: {path}",
            f"{indent}    Method: {method}",
        ]
    return lines


def synced_text(text: str, routes: list[tuple[str, str]] | None = None) -> str:
    """``text`` with the block between the markers replaced by the proxy events (or, given ``routes``,
    one ``Api`` event per route: the old layout, kept for templates of small apps)."""
    lines = text.splitlines()
    try:
        begin = next(i for i, line in enumerate(lines) if BEGIN in line)
        end = next(i for i, line in enumerate(lines) if END in line and i > begin)
    except StopIteration:
        raise ValueError(f"template has no '{BEGIN}' ... '{END}' block") from None
    indent = lines[begin][: len(lines[begin]) - len(lines[begin].lstrip())]
    block = render_proxy_block(indent) if routes is None else render_block(routes, indent)
    new = lines[: begin + 1] + block + lines[end:]
    return "\n".join(new) + ("\n" if text.endswith("\n") else "")


def sync(template_path: Path, *, check: bool = False) -> bool:
    """Rewrite (or, with ``check``, only compare) the routes block; returns True when already in sync.

    Raises ValueError when, after the block is right, some app route is still unreachable.
    """
    template = Template(template_path)
    text = template_path.read_text(encoding="utf-8")
    new = synced_text(text)
    if new == text:
        problems = unreachable_routes(template)
        if problems:
            raise ValueError("rotas inalcançáveis: " + "; ".join(problems))
        return True
    if not check:
        template_path.write_text(new, encoding="utf-8")
    return False
