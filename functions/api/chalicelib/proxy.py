"""Chalice behind one API Gateway proxy resource (``/{proxy+}`` and ``/``, method ANY).

API Gateway invokes the function with ``resource = "/{proxy+}"``; chalice looks views up by
``requestContext.resourcePath``, so :class:`ProxyChalice` first finds the app route the request path
matches (a literal segment wins over a ``{param}``), rewrites the event as if API Gateway had that
route, then lets chalice dispatch. One resource-policy statement covers every route, however many the
contract grows to (a per-route Api event adds ~390 B to the function's 20 KB policy).

Route modules may be registered lazily (ADR 0029): the app is given each module's path patterns, and a module is
imported, and its blueprint registered, when the first request under one of its patterns arrives, so a cold
start imports one feature's routes, services and models rather than all of them. `load_routes()` loads every
module (the OpenAPI document, the tests walking `app.routes`, and the SnapStart snapshot use it).
"""

from __future__ import annotations

import importlib
import threading
from collections.abc import Mapping
from typing import Any
from urllib.parse import unquote

from chalice import Chalice

PROXY_RESOURCES = ("/{proxy+}", "/")


def match_route(route_paths: list[str] | Any, path: str) -> tuple[str, dict[str, str]] | None:
    """The most specific app route path matching ``path`` and its path parameters, or None."""
    segments = [s for s in path.split("/") if s]
    best: tuple[tuple[int, ...], str, dict[str, str]] | None = None
    for template in route_paths:
        parts = [s for s in template.split("/") if s]
        if len(parts) != len(segments):
            continue
        params: dict[str, str] = {}
        score: list[int] = []
        for part, seg in zip(parts, segments, strict=True):
            if part.startswith("{") and part.endswith("}"):
                params[part[1:-1]] = unquote(seg)
                score.append(1)
            elif part == seg:
                score.append(0)
            else:
                break
        else:
            key = tuple(score)
            if best is None or key < best[0]:
                best = (key, template, params)
    return None if best is None else (best[1], best[2])


def _error(status: int, code: str, message: str, headers: dict[str, str] | None = None) -> dict[str, Any]:
    """A 404/405 of the proxy, made by the API's one error path (contract shape and security headers)."""
    from chalicelib.http import error_answer  # the app's error path; imported late: http pulls in the layer

    return {**error_answer(status, code, message, dict(headers or {})).to_dict(), "isBase64Encoded": False}


def covers(pattern: str, path: str) -> bool:
    """Whether ``path`` falls under ``pattern``: the path starts with the pattern's segments, ``{x}`` standing
    for any one segment (``/v1/cameras/{camera_id}`` covers ``/v1/cameras/1/timeline``); ``/`` covers the root
    only. A route template is a path too, so a module's patterns can be checked against its routes."""
    want = [s for s in pattern.split("/") if s]
    have = [s for s in path.split("/") if s]
    if not want:
        return not have
    if len(have) < len(want):
        return False
    return all(w == h or (w.startswith("{") and w.endswith("}")) for w, h in zip(want, have, strict=False))


class ProxyChalice(Chalice):
    """A chalice app that routes proxy-resource events itself (404/405 in the contract's error shape).

    ``lazy_routes``: route module (an importable name whose ``api.bp`` is its blueprint) → the path patterns
    (:func:`covers`) of every route it declares; a module is imported on the first request it may serve.
    """

    def __init__(self, app_name: str, lazy_routes: Mapping[str, tuple[str, ...]] | None = None) -> None:
        super().__init__(app_name=app_name)
        self._pending = dict(lazy_routes or {})
        self._loading = threading.Lock()

    def load_routes(self, path: str | None = None) -> None:
        """Register the lazy route modules that may serve ``path`` (every one when None), each once."""
        with self._loading:
            for name, patterns in list(self._pending.items()):
                if path is None or any(covers(p, path) for p in patterns):
                    self.register_blueprint(importlib.import_module(name).api.bp)
                    del self._pending[name]

    def __call__(self, event: Any, context: Any) -> dict[str, Any]:
        if self._pending:
            self.load_routes(str(event.get("path") or "/"))
        rc = dict(event.get("requestContext") or {})
        resource = rc.get("resourcePath") or event.get("resource")
        if resource in PROXY_RESOURCES or resource not in self.routes:
            method = str(event.get("httpMethod") or rc.get("httpMethod") or "GET").upper()
            path = str(event.get("path") or "/")
            matched = match_route(list(self.routes), path)
            if matched is None:
                return _error(404, "not_found", f"Rota não encontrada: {method} {path}")
            route_path, params = matched
            methods = self.routes[route_path]
            if method not in methods:
                if method == "OPTIONS":  # CORS preflight for a known path
                    return {"statusCode": 204, "headers": {}, "body": "", "isBase64Encoded": False}
                allowed = ", ".join(sorted(methods))
                return _error(
                    405,
                    "method_not_allowed",
                    f"Método {method} não permitido em {path} (permitidos: {allowed})",
                    {"Allow": allowed},
                )
            rc["resourcePath"] = route_path
            event = {**event, "resource": route_path, "pathParameters": params or None, "requestContext": rc}
        return super().__call__(event, context)
