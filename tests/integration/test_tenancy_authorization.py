"""Authorization before validation (contract v1.1): a caller who may not use a route gets 403/404 whatever
the body or query holds — never a 422 (or 400) that describes the route's input.

The write routes are walked from `app.routes`, so a route added later is covered without editing this file;
the few routes a viewer may write are named here on purpose (adding one is a decision, not an accident).
"""

from __future__ import annotations

from typing import Any

import api_resources
import pytest
from api_resources import CityResources
from utils import ApiClient, Reply, World

#: Writes a viewer may make: its own account (2FA, password), its own session, and vehicle searches
#: (contract: Sentinela).
VIEWER_WRITES = {
    ("/v1/me", "DELETE"),
    ("/v1/me/2fa", "POST"),
    ("/v1/me/2fa", "DELETE"),
    ("/v1/me/2fa/confirm", "POST"),
    ("/v1/me/password", "POST"),
    ("/v1/auth/logout", "POST"),
    ("/v1/auth/refresh", "POST"),
    ("/v1/sentinela/searches", "POST"),
    ("/v1/sentinela/searches/{search_id}", "DELETE"),
}
#: Writes only admins make.
ADMIN_WRITES = {("/v1/cities", "POST"), ("/v1/cities/{city_id}", "PATCH"), ("/v1/cities/{city_id}", "DELETE")}
#: Bodies a route would refuse with 400/422 if it validated them before authorising.
INVALID_BODIES: list[tuple[str, dict[str, Any]]] = [
    ("unknown field", {"body": {"no_such_field": 1, "name": 7}}),
    ("not an object", {"body": [1, 2, 3]}),
    ("malformed JSON", {"raw": b'{"name": '}),
    ("empty", {}),
]


@pytest.fixture()
def res(world: World) -> CityResources:
    return api_resources.build(world)


def write_routes(api: ApiClient) -> list[tuple[str, str]]:
    """(path, method) of every authenticated write route; DELETEs last (they would remove data)."""
    out = [
        (path, method)
        for path, methods in api.app.routes.items()
        for method, entry in methods.items()
        if method != "GET" and getattr(entry.view_function, "__gtv_auth__", True)
    ]
    return sorted(out, key=lambda pm: (pm[1] == "DELETE", pm))


def _refused(r: Reply) -> bool:
    body = r.json() if r.headers.get("content-type", "").startswith("application/json") else None
    return r.status in (403, 404) and isinstance(body, dict) and "error" in body


def _walk(api: ApiClient, token: str, routes: list[tuple[str, str]], ids: dict[str, str], who: str) -> list[str]:
    failures = []
    for route, method in routes:
        path = route.format(**ids)
        for label, kwargs in INVALID_BODIES:
            r = api.call(method, path, token=token, **kwargs)
            if not _refused(r):
                failures.append(f"{method} {route} as {who} with {label} body: {r.status} {r.text[:160]}")
    return failures


def test_viewer_is_refused_before_the_body_is_read_on_every_write_route(world: World, res: CityResources) -> None:
    # Given a viewer of the city that owns every resource named in the paths
    routes = [rm for rm in write_routes(world.api) if rm not in VIEWER_WRITES]
    assert len(routes) >= 18, routes  # the walk found the API's write routes
    # When it calls each write route with bodies that fail validation
    failures = _walk(world.api, world.viewer_a, routes, res.path_ids(), "viewer_a")
    # Then every answer is 403 (role) or 404 — never a 400/422 describing the input
    assert not failures, "\n".join(failures)
    # And nothing of city A changed
    assert world.api.call("GET", f"/v1/cameras/{res.camera_id}", token=world.manager_a).status == 200
    assert world.api.call("GET", f"/v1/clips/{res.clip_id}", token=world.manager_a).status == 200


def test_manager_is_refused_before_the_body_is_read_on_admin_routes(world: World, res: CityResources) -> None:
    # The case users reported: a manager PATCHing its own city with an unknown field got a 422.
    r = world.api.call("PATCH", f"/v1/cities/{world.city_a}", {"nome": "x"}, world.manager_a)
    assert r.status == 403 and r.json()["error"]["code"] == "forbidden", r.text
    failures = _walk(world.api, world.manager_a, sorted(ADMIN_WRITES), res.path_ids(), "manager_a")
    assert not failures, "\n".join(failures)
    # The same bodies from an admin are validated (so the walk above did send invalid bodies).
    r = world.api.call("PATCH", f"/v1/cities/{world.city_a}", {"nome": "x"}, world.admin)
    assert r.status == 422, r.text


def test_other_citys_manager_gets_404_before_the_body_is_read(world: World, res: CityResources) -> None:
    routes = [rm for rm in write_routes(world.api) if "{" in rm[0]]
    failures = _walk(world.api, world.manager_b, routes, res.path_ids(), "manager_b")
    assert not failures, "\n".join(failures)
    r = world.api.call("PATCH", f"/v1/cameras/{res.camera_id}", {"nome": 1}, world.manager_b)
    assert r.status == 404, r.text


@pytest.mark.parametrize(
    ("path", "query", "who"),
    [
        ("/v1/audit", {"from": "ontem"}, "viewer_a"),
        ("/v1/audit/export.csv", {"cursor": "!!!"}, "viewer_a"),
        ("/v1/clips", {"status": "qualquer"}, "viewer_a"),
        ("/v1/watchlist", {"cursor": "%%%"}, "viewer_a"),
        ("/v1/users", {"limit": "-5"}, "viewer_a"),
        ("/v1/lgpd/plates/!!", {}, "manager_a"),
    ],
)
def test_restricted_reads_refuse_before_the_query_is_read(
    world: World, path: str, query: dict[str, str], who: str
) -> None:
    r = world.api.call("GET", path, token=getattr(world, who), query=query)
    assert r.status == 403 and r.json()["error"]["code"] == "forbidden", r.text
    # And an allowed caller gets the validation error for the same query.
    assert world.api.call("GET", path, token=world.admin, query=query).status in (400, 422)
