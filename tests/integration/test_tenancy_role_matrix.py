"""The role matrix of docs/API.md, walked: every route × (no token, viewer, operator, manager, admin, another
city's manager) answers as the table says. The table is the contract; this test holds the code to it, and a
route missing from the table (or a row whose route is gone) fails it."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import api_resources
import pytest
from api_resources import PLATE, CityResources, iso
from utils import Reply, World

API_MD = Path(__file__).resolve().parents[2] / "docs" / "API.md"
CALLERS = ("viewer", "operator", "manager", "admin", "other")
PASSWORD = "frase-longa-do-teste-42"
ROW = re.compile(r"^\| (GET|POST|PATCH|PUT|DELETE) \| `([^`]+)` \| (.+) \|$")


def matrix() -> dict[tuple[str, str], dict[str, str]]:
    """(method, path) → caller → cell, from the table between the role-matrix markers of docs/API.md."""
    text = API_MD.read_text(encoding="utf-8")
    table = text.split("<!-- role-matrix:start -->", 1)[1].split("<!-- role-matrix:end -->", 1)[0]
    out: dict[tuple[str, str], dict[str, str]] = {}
    for line in table.splitlines():
        m = ROW.match(line.strip())
        if m:
            cells = [c.strip() for c in m.group(3).split("|")]
            assert len(cells) == len(CALLERS), line
            out[(m.group(1), m.group(2))] = dict(zip(CALLERS, cells, strict=True))
    return out


def test_the_table_names_every_route_of_the_app_and_nothing_else(api) -> None:
    table = matrix()
    routes = {(m, p) for p, methods in api.app.routes.items() for m in methods}
    assert set(table) == routes, {"missing": sorted(routes - set(table)), "gone": sorted(set(table) - routes)}
    for (method, path), cells in table.items():
        entry = api.app.routes[path][method]
        public = not getattr(entry.view_function, "__gtv_auth__", True)
        assert (set(cells.values()) == {"—"}) == public, (method, path, cells)


def _account(world: World, role: str) -> str:
    name = f"m-{role}-{uuid.uuid4().hex[:8]}"
    body = {"username": name, "password": PASSWORD, "role": role, "city_id": None if role == "admin" else world.city_a}
    r = world.api.call("POST", "/v1/users", body, world.admin)
    assert r.status == 201, r.text
    return world.api.login(name, PASSWORD)


def _fresh(world: World, res: CityResources) -> dict[tuple[str, str], Callable[[], dict[str, str]]]:
    """For routes that would destroy the shared resources or the caller's session: a new one per call."""
    api, manager = world.api, world.manager_a

    def made(method: str, path: str, body: dict[str, object], key: str, token: str = manager) -> dict[str, str]:
        r = api.call(method, path, body, token)
        assert r.status in (201, 202), r.text
        return {key: r.json()["id"]}

    start = res.recorded_from
    return {
        ("DELETE", "/v1/cameras/{camera_id}"): lambda: made(
            "POST",
            f"/v1/cities/{world.city_a}/cameras",
            {"name": "Tmp", "source_url": "rtsp://10.1.1.1/s"},
            "camera_id",
        ),
        ("DELETE", "/v1/clips/{clip_id}"): lambda: made(
            "POST",
            "/v1/clips",
            {"camera_id": res.camera_id, "start": iso(start), "end": iso(start + timedelta(seconds=2))},
            "clip_id",
        ),
        ("DELETE", "/v1/mosaics/{mosaic_id}"): lambda: made(
            "POST", "/v1/mosaics", {"name": "Tmp", "camera_ids": [res.camera_id]}, "mosaic_id"
        ),
        ("DELETE", "/v1/watchlist/{watchlist_id}"): lambda: made(
            "POST", "/v1/watchlist", {"plate": f"TMP{uuid.uuid4().int % 10000:04d}", "reason": "teste"}, "watchlist_id"
        ),
        ("DELETE", "/v1/users/{user_id}"): lambda: made(
            "POST",
            "/v1/users",
            {
                "username": f"tmp-{uuid.uuid4().hex[:8]}",
                "password": PASSWORD,
                "role": "viewer",
                "city_id": world.city_a,
            },
            "user_id",
        ),
        ("DELETE", "/v1/bookmarks/{bookmark_id}"): lambda: made(
            "POST", f"/v1/cameras/{res.camera_id}/bookmarks", {"at": iso(start), "label": "tmp"}, "bookmark_id"
        ),
        ("DELETE", "/v1/agreements/{agreement_id}"): lambda: made(
            "POST", "/v1/agreements", api_resources.agreement_body(None), "agreement_id"
        ),
        ("DELETE", "/v1/camera-groups/{camera_group_id}"): lambda: made(
            "POST",
            f"/v1/cities/{world.city_a}/camera-groups",
            {"name": f"tmp-{uuid.uuid4().hex[:6]}"},
            "camera_group_id",
        ),
    }


#: Routes that end the caller's own session or account: each call gets a throwaway account of the role.
SELF_ENDING = {("POST", "/v1/auth/logout"), ("DELETE", "/v1/me")}


def _fill(path: str, ids: dict[str, str]) -> str:
    return path.format(**{**ids, "plate": PLATE, "asset_name": "main.js", "notification": "KeepAlive"})


def _query(path: str, res: CityResources) -> dict[str, str] | None:
    if path.endswith(("/timeline", "/thumbnails", "/playback.m3u8")):
        return {"from": iso(res.recorded_from), "to": iso(res.recorded_from + timedelta(minutes=1))}
    if path == "/v1/lpr/trajectory":
        return {"plate": PLATE}
    return None


def _unknown_id(r: Reply) -> bool:
    """The 404 of an id not visible to the caller ("câmera inexistente"), not one about data ("nenhuma
    gravação no intervalo pedido")."""
    return r.status == 404 and str((r.json() or {}).get("error", {}).get("message", "")).endswith("inexistente")


def _as_expected(cell: str, r: Reply) -> bool:
    if cell == "✗":
        return r.status == 403
    if cell == "404":
        return _unknown_id(r)
    if cell == "✓":
        return r.status not in (401, 403) and not _unknown_id(r)
    if cell == "própria":  # allowed on one's own; on another's a refusal
        return r.status != 401
    raise AssertionError(f"unknown cell {cell!r}")


@pytest.fixture()
def res(world: World) -> CityResources:
    return api_resources.build(world)


def test_every_route_answers_every_caller_as_the_matrix_says(world: World, res: CityResources) -> None:
    tokens = {role: _account(world, role) for role in ("viewer", "operator", "manager", "admin")}
    tokens["other"] = world.manager_b
    fresh = _fresh(world, res)
    failures: list[str] = []
    calls = 0
    rows = sorted(matrix().items(), key=lambda kv: (kv[0][0] == "DELETE", kv[0]))
    for (method, path), cells in rows:
        if set(cells.values()) == {"—"}:
            continue
        # Without a token: 401, before anything else
        r = world.api.call(method, _fill(path, res.path_ids()), raw=b"{}", query=_query(path, res))
        if r.status != 401:
            failures.append(f"{method} {path} without a token: {r.status}")
        for caller in CALLERS:
            cell = cells[caller]
            ids = dict(res.path_ids())
            token = tokens[caller]
            if cell in ("✓", "própria") and (method, path) in fresh:
                ids.update(fresh[(method, path)]())
            if cell in ("✓", "própria") and (method, path) in SELF_ENDING:
                role = "manager" if caller == "other" else caller
                token = _account(world, role)
            r = world.api.call(method, _fill(path, ids), token=token, raw=b"{}", query=_query(path, res))
            calls += 1
            if not _as_expected(cell, r):
                failures.append(f"{method} {path} as {caller} (matrix: {cell}): {r.status} {r.text[:120]}")
    assert calls >= 300, calls
    assert not failures, "\n".join(failures)
