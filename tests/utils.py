"""Event, context and data factories shared by the tests."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from gtvision_local import events
from gtvision_local.runtime import load_function_module

REPO = Path(__file__).resolve().parents[1]


def iso(moment: datetime) -> str:
    """RFC 3339 in UTC with a `Z`, as the contract writes times."""
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def load_function(code_dir: str, module: str = "app") -> Any:
    """Import functions/<code_dir>/<module>.py with the local runtime's loader (as Lambda would: one module a file)."""
    return load_function_module(REPO / "functions" / code_dir, module)


@dataclass
class LambdaContext(events.LambdaContext):
    """The local runtime's Lambda context, named "test" and with 30 s left unless told otherwise."""

    function_name: str = "test"


@dataclass
class Reply:
    status: int
    headers: dict[str, str]
    text: str
    multi_headers: dict[str, list[str]] | None = None

    def json(self) -> Any:
        return json.loads(self.text) if self.text else None


class ApiClient:
    """Calls the API function's handler (the chalice app in its observability wrapper) with API Gateway
    REST proxy events, like the gateway does; ``app`` is the chalice app, for its routes."""

    def __init__(self, app: Any, handler: Any = None) -> None:
        self.app = app
        self.handler = handler or app
        app.load_routes()  # every route module: the app imports each on the first request it serves (ADR 0029)
        self._routes = [(p, set(m)) for p, m in app.routes.items()]

    @classmethod
    def for_app(cls) -> ApiClient:
        module = load_function("api")
        return cls(module.app, module.handler)

    def _resource(self, path: str) -> tuple[str, dict[str, str]]:
        parts = path.strip("/").split("/")
        best = None
        for tpl, _ in self._routes:
            tparts = tpl.strip("/").split("/")
            if len(tparts) != len(parts):
                continue
            params, literal = {}, 0
            for t, p in zip(tparts, parts, strict=True):
                if t.startswith("{"):
                    params[t.strip("{}")] = p
                elif t != p:
                    break
                else:
                    literal += 1
            else:
                if best is None or literal > best[0]:
                    best = (literal, tpl, params)
        if best is None:
            raise AssertionError(f"no route for {path}")
        return best[1], best[2]

    def call(
        self,
        method: str,
        path: str,
        body: Any = None,
        token: str | None = None,
        query: dict[str, str] | None = None,
        headers: dict[str, str] | None = None,
        raw: bytes | None = None,
        source_ip: str = "203.0.113.7",
    ) -> Reply:
        resource, params = self._resource(path)
        hdrs = {"content-type": "application/json", **(headers or {})}
        if token:
            hdrs["authorization"] = f"Bearer {token}"
        data = raw if raw is not None else (json.dumps(body).encode() if body is not None else b"")
        event = events.api_gateway_event(
            method=method,
            path=path,
            resource=resource,
            path_parameters=params,
            headers=list(hdrs.items()),
            query=list((query or {}).items()),
            body=data,
            source_ip=source_ip,
        )
        out = self.handler(event, LambdaContext())
        headers_out = {k.lower(): v for k, v in (out.get("headers") or {}).items()}
        multi = {k.lower(): list(v) for k, v in (out.get("multiValueHeaders") or {}).items()}
        return Reply(out["statusCode"], headers_out, out.get("body") or "", multi)

    def login(self, username: str, password: str) -> str:
        r = self.call("POST", "/v1/auth/login", {"username": username, "password": password})
        assert r.status == 200, r.text
        return str(r.json()["access_token"])


@dataclass
class World:
    """Given: two cities, each with a manager and a viewer; an admin token."""

    api: ApiClient
    admin: str
    city_a: str
    city_b: str
    manager_a: str
    viewer_a: str
    manager_b: str
    viewer_b: str

    @classmethod
    def build(cls, api: ApiClient) -> World:
        admin = api.login("admin", "admin-test-password")
        tag = uuid.uuid4().hex[:8]
        cities = []
        for n in ("A", "B"):
            r = api.call("POST", "/v1/cities", {"name": f"Cidade {n} {tag}", "state": "SP", "retention_days": 7}, admin)
            assert r.status == 201, r.text
            cities.append(r.json()["id"])
        tokens = {}
        for city, n in zip(cities, ("a", "b"), strict=True):
            for role in ("manager", "viewer"):
                username = f"{role}-{n}-{tag}"
                r = api.call(
                    "POST",
                    "/v1/users",
                    {"username": username, "password": "senha-forte-123", "role": role, "city_id": city},
                    admin,
                )
                assert r.status == 201, r.text
                tokens[f"{role}_{n}"] = api.login(username, "senha-forte-123")
        return cls(api, admin, cities[0], cities[1], **tokens)

    def camera(self, token: str | None = None, city: str | None = None, **fields: Any) -> dict[str, Any]:
        body = {"name": "Câmera Praça", "source_url": "rtsp://192.168.10.20:554/stream1", **fields}
        r = self.api.call("POST", f"/v1/cities/{city or self.city_a}/cameras", body, token or self.manager_a)
        assert r.status == 201, r.text
        return dict(r.json())
