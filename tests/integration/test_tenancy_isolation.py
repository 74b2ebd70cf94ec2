"""Tenancy: another city's ids answer 404 — never 403, never 200 — on every route that takes one.

The routes are walked from `app.routes`: every `{..._id}` path parameter gets a real resource of city A
(`api_resources.build`), and city B's manager and viewer call each route with it, with a valid body so
nothing but the tenancy check can refuse it. Ids inside bodies and query filters are checked as well.
"""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import api_resources
import pytest
from api_resources import PLATE, CityResources, iso, valid_bodies
from utils import ApiClient, Reply, World


@pytest.fixture()
def res(world: World) -> CityResources:
    return api_resources.build(world)


def id_routes(api: ApiClient) -> list[tuple[str, str]]:
    """(path, method) of every route with an `{..._id}` path parameter; DELETEs last (they would remove data).

    Routes a camera authenticates itself on (Intelbras Digest) take no user token: whatever the id, they
    answer 401 to anyone but that camera (tests/integration/test_intelbras.py).
    """
    out = [
        (path, method)
        for path, methods in api.app.routes.items()
        for method, entry in methods.items()
        if any(p.endswith("_id}") for p in path.split("/")) and getattr(entry.view_function, "__gtv_auth__", True)
    ]
    return sorted(out, key=lambda pm: (pm[1] == "DELETE", pm))


def _query(path: str, res: CityResources) -> dict[str, str]:
    if path.endswith(("/timeline", "/thumbnails", "/playback.m3u8")):
        return {"from": iso(res.recorded_from), "to": iso(res.recorded_from + timedelta(minutes=1))}
    return {}


def _is_404(r: Reply) -> bool:
    body = r.json() if r.headers.get("content-type", "").startswith("application/json") else None
    return r.status == 404 and isinstance(body, dict) and "error" in body


def test_other_citys_ids_are_404_on_every_route(world: World, res: CityResources) -> None:
    bodies = valid_bodies(res)
    ids = res.path_ids()
    routes = id_routes(world.api)
    assert len(routes) >= 20, routes  # the walk found the API's id routes
    failures = []
    for route, method in routes:
        path = route.format(**ids)
        body = bodies.get((route, method))
        for who, token in (("manager_b", world.manager_b), ("viewer_b", world.viewer_b)):
            r = world.api.call(method, path, body, token, query=_query(route, res))
            if not _is_404(r):
                failures.append(f"{method} {route} as {who}: {r.status} {r.text[:160]}")
    assert not failures, "\n".join(failures)
    # Nothing of city A was changed or removed by those calls.
    for path in (f"/v1/cameras/{res.camera_id}", f"/v1/clips/{res.clip_id}", f"/v1/mosaics/{res.mosaic_id}"):
        assert world.api.call("GET", path, token=world.manager_a).status == 200, path
    watch = world.api.call("GET", "/v1/watchlist", token=world.manager_a).json()["items"]
    assert res.watchlist_id in {w["id"] for w in watch}
    alert = next(a for a in world.api.call("GET", "/v1/alerts", token=world.manager_a).json()["items"])
    assert alert["id"] == res.alert_id and alert.get("status", "open") == "open"


def test_unknown_ids_are_404_on_every_route(world: World, res: CityResources) -> None:
    """A random UUID is the same 404 as another city's id, for admins and managers alike."""
    bodies = valid_bodies(res)
    failures = []
    for route, method in id_routes(world.api):
        for param in [p.strip("{}") for p in route.split("/") if p.endswith("_id}")]:
            path = route.format(**{**res.path_ids(), param: str(uuid.uuid4())})
            for who, token in (("admin", world.admin), ("manager_a", world.manager_a)):
                r = world.api.call(method, path, bodies.get((route, method)), token, query=_query(route, res))
                if not _is_404(r):
                    failures.append(f"{method} {route} {param}=random as {who}: {r.status} {r.text[:160]}")
    assert not failures, "\n".join(failures)


def _cases(res: CityResources) -> list[tuple[str, str, Any, dict[str, str]]]:
    """Ids of city A inside bodies and query filters."""
    bodies = valid_bodies(res)
    return [
        ("POST", "/v1/clips", bodies[("/v1/clips", "POST")], {}),
        ("POST", "/v1/mosaics", bodies[("/v1/mosaics", "POST")], {}),
        ("POST", "/v1/lpr/batch", bodies[("/v1/lpr/batch", "POST")], {}),
        ("POST", "/v1/users", bodies[("/v1/users", "POST")], {}),
        ("POST", "/v1/watchlist", bodies[("/v1/watchlist", "POST")], {}),
        ("GET", "/v1/clips", None, {"camera_id": res.camera_id}),
        ("GET", "/v1/lpr/events", None, {"plate": PLATE, "camera_id": res.camera_id}),
        ("GET", "/v1/lpr/events", None, {"plate": PLATE, "city_id": res.city_id}),
        ("GET", "/v1/lpr/trajectory", None, {"plate": PLATE, "city_id": res.city_id}),
        ("GET", "/v1/watchlist", None, {"city_id": res.city_id}),
        ("GET", "/v1/alerts", None, {"city_id": res.city_id}),
    ]


def test_other_citys_ids_in_bodies_and_filters_are_404(world: World, res: CityResources) -> None:
    failures = []
    for method, path, body, query in _cases(res):
        r = world.api.call(method, path, body, world.manager_b, query=query)
        if not _is_404(r):
            failures.append(f"{method} {path} {query}: {r.status} {r.text[:160]}")
    assert not failures, "\n".join(failures)


def test_other_citys_data_never_listed(world: World, res: CityResources) -> None:
    """Lists a manager of city B can read hold nothing of city A (a leak there would not be a 404)."""
    a_ids = set(res.path_ids().values()) | {res.read_id}
    for path, query in [
        ("/v1/users", {}),
        ("/v1/cities", {}),
        ("/v1/mosaics", {}),
        ("/v1/clips", {}),
        ("/v1/watchlist", {}),
        ("/v1/alerts", {}),
        ("/v1/audit", {}),
        ("/v1/lpr/events", {"plate": PLATE}),
        ("/v1/lpr/events", {"plate": PLATE, "match": "fuzzy"}),
    ]:
        r = world.api.call("GET", path, token=world.manager_b, query=query)
        assert r.status == 200, (path, r.text)
        assert not (a_ids & {str(v) for item in r.json()["items"] for v in item.values()}), path
    r = world.api.call("GET", "/v1/lpr/trajectory", token=world.manager_b, query={"plate": PLATE})
    assert r.status == 200 and r.json()["points"] == [], r.text
    r = world.api.call("GET", f"/v1/lgpd/plates/{PLATE}", token=world.manager_b)
    assert r.status in (200, 403, 404) and res.read_id not in r.text and res.camera_id not in r.text, r.text
