"""Camera groups and per-user restriction (contract v1.2): a restricted user sees exactly their groups'
cameras — another camera of the same city is 404 everywhere — and every change of access is published so
live sockets can close (`tenancy.access`)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from api_resources import iso
from utils import World

from gtvision.core.principal import Principal
from gtvision.tenancy import access
from gtvision.tenancy.authz import camera_filter

PASSWORD = "frase-longa-do-teste-42"


@pytest.fixture()
def changes() -> Iterator[list[access.AccessChange]]:
    """Every access change published while the test runs."""
    seen: list[access.AccessChange] = []
    access.subscribe(seen.append)
    yield seen
    access.unsubscribe(seen.append)


def _viewer(world: World, **extra: object) -> tuple[dict[str, str], str]:
    name = f"g-{uuid.uuid4().hex[:10]}"
    body = {"username": name, "password": PASSWORD, "role": "viewer", "city_id": world.city_a, **extra}
    r = world.api.call("POST", "/v1/users", body, world.manager_a)
    assert r.status == 201, r.text
    return {"id": r.json()["id"], "username": name}, world.api.login(name, PASSWORD)


def _group(world: World, *camera_ids: str, city: str | None = None, token: str | None = None) -> dict:
    body = {"name": f"Escola {uuid.uuid4().hex[:6]}", "camera_ids": list(camera_ids)}
    r = world.api.call("POST", f"/v1/cities/{city or world.city_a}/camera-groups", body, token or world.manager_a)
    assert r.status == 201, r.text
    return dict(r.json())


def _listed_cameras(world: World, token: str) -> set[str]:
    r = world.api.call("GET", f"/v1/cities/{world.city_a}/cameras", token=token, query={"limit": "500"})
    assert r.status == 200, r.text
    return {c["id"] for c in r.json()["items"]}


def test_camera_groups_belong_to_one_city_and_only_managers_edit_them(world: World) -> None:
    school, other = world.camera()["id"], world.camera(city=world.city_b, token=world.manager_b)["id"]
    group = _group(world, school)
    assert group["camera_ids"] == [school] and group["city_id"] == world.city_a
    # Another city's camera is as unknown as a missing one
    body = {"name": "Mista", "camera_ids": [school, other]}
    assert world.api.call("POST", f"/v1/cities/{world.city_a}/camera-groups", body, world.manager_a).status == 404
    # Names are unique per city
    dup = world.api.call("POST", f"/v1/cities/{world.city_a}/camera-groups", {"name": group["name"]}, world.manager_a)
    assert dup.status == 409
    # Viewers may not touch them; another city's manager does not see them
    assert world.api.call("GET", f"/v1/camera-groups/{group['id']}", token=world.viewer_a).status == 403
    assert world.api.call("GET", f"/v1/camera-groups/{group['id']}", token=world.manager_b).status == 404
    assert world.api.call("DELETE", f"/v1/camera-groups/{group['id']}", token=world.manager_b).status == 404
    listed = world.api.call("GET", f"/v1/cities/{world.city_a}/camera-groups", token=world.manager_a).json()
    assert group["id"] in {g["id"] for g in listed["items"]}
    renamed = world.api.call("PATCH", f"/v1/camera-groups/{group['id']}", {"name": "Escola Municipal"}, world.manager_a)
    assert renamed.status == 200 and renamed.json()["name"] == "Escola Municipal"
    assert world.api.call("DELETE", f"/v1/camera-groups/{group['id']}", token=world.manager_a).status == 204
    assert world.api.call("GET", f"/v1/camera-groups/{group['id']}", token=world.manager_a).status == 404


def test_a_restricted_viewer_reads_exactly_its_groups_cameras(world: World, changes: list[access.AccessChange]) -> None:
    school, square = world.camera()["id"], world.camera()["id"]
    group = _group(world, school)
    user, token = _viewer(world)
    assert {school, square} <= _listed_cameras(world, token)
    # When a manager restricts the viewer to the school's group
    r = world.api.call("PATCH", f"/v1/users/{user['id']}", {"camera_group_ids": [group["id"]]}, world.manager_a)
    assert r.status == 200 and r.json()["camera_group_ids"] == [group["id"]], r.text
    assert access.AccessChange(user["id"], "camera_groups") in changes  # its sockets are told
    # Then its lists hold only the school's camera, and the square's is 404 wherever it is named
    assert _listed_cameras(world, token) == {school}
    assert world.api.call("GET", f"/v1/cameras/{school}", token=token).status == 200
    window = {"from": iso(datetime.now(UTC) - timedelta(hours=1)), "to": iso(datetime.now(UTC))}
    for path, query in (
        (f"/v1/cameras/{square}", None),
        (f"/v1/cameras/{square}/timeline", window),
        (f"/v1/cameras/{square}/thumbnails", window),
        (f"/v1/cameras/{square}/playback.m3u8", window),
        (f"/v1/cameras/{square}/stream", None),
    ):
        r = world.api.call("GET", path, token=token, query=query)
        assert r.status == 404, (path, r.status, r.text)
    clip = {"camera_id": square, "start": window["from"], "end": iso(datetime.now(UTC) - timedelta(minutes=59))}
    assert world.api.call("POST", "/v1/clips", clip, world.admin).status != 404  # the camera exists
    # When the group gains the square's camera, the viewer sees it at once
    patched = world.api.call(
        "PATCH", f"/v1/camera-groups/{group['id']}", {"camera_ids": [school, square]}, world.manager_a
    )
    assert patched.status == 200
    assert _listed_cameras(world, token) == {school, square}
    # And null lifts the restriction
    world.api.call("PATCH", f"/v1/users/{user['id']}", {"camera_group_ids": None}, world.manager_a)
    assert {school, square} <= _listed_cameras(world, token)


def test_a_restriction_never_widens_by_accident(world: World) -> None:
    school = world.camera()["id"]
    group = _group(world, school)
    user, token = _viewer(world, camera_group_ids=[group["id"]])
    assert _listed_cameras(world, token) == {school}
    # Deleting its only group leaves the user with no camera, not every camera
    assert world.api.call("DELETE", f"/v1/camera-groups/{group['id']}", token=world.manager_a).status == 204
    assert _listed_cameras(world, token) == set()
    # Groups of another city cannot be given; admins are never restricted
    other = _group(world, city=world.city_b, token=world.manager_b)
    r = world.api.call("PATCH", f"/v1/users/{user['id']}", {"camera_group_ids": [other["id"]]}, world.admin)
    assert r.status == 404


def test_camera_filter_is_what_other_features_filter_their_lists_with() -> None:
    free = Principal(user_id="u", username="u", role="viewer", city_id="c")
    assert camera_filter(free) is None
    bound = Principal(user_id="u", username="u", role="viewer", city_id="c", camera_ids=frozenset({"b", "a"}))
    assert camera_filter(bound) == ["a", "b"]
    assert bound.can_see_camera("A") and not bound.can_see_camera("c")


def test_every_change_of_access_is_published_for_the_live_sockets(
    world: World, changes: list[access.AccessChange]
) -> None:
    user, _ = _viewer(world)
    tokens = world.api.call("POST", "/v1/auth/login", {"username": user["username"], "password": PASSWORD}).json()
    import jwt

    session_id = jwt.decode(tokens["access_token"], options={"verify_signature": False})["sid"]
    # Logout ends that session
    assert world.api.call("POST", "/v1/auth/logout", token=tokens["access_token"]).status == 204
    assert access.AccessChange(user["id"], "logout", session_id) in changes
    # A replayed refresh token ends its session
    second = world.api.call("POST", "/v1/auth/login", {"username": user["username"], "password": PASSWORD}).json()
    world.api.call("POST", "/v1/auth/refresh", {"refresh_token": second["refresh_token"]})
    world.api.call("POST", "/v1/auth/refresh", {"refresh_token": second["refresh_token"]})
    assert any(c.reason == "refresh_reuse" and c.user_id == user["id"] for c in changes)
    # Role, deactivation and deletion reach every session of the user
    world.api.call("PATCH", f"/v1/users/{user['id']}", {"role": "operator"}, world.manager_a)
    world.api.call("PATCH", f"/v1/users/{user['id']}", {"active": False}, world.manager_a)
    world.api.call("DELETE", f"/v1/users/{user['id']}", token=world.manager_a)
    reasons = [c.reason for c in changes if c.user_id == user["id"] and c.session_id is None]
    assert reasons == ["role", "deactivated", "deleted"], reasons


def test_a_failing_listener_never_fails_the_request(world: World) -> None:
    def broken(change: access.AccessChange) -> None:
        raise RuntimeError("socket service down")

    access.subscribe(broken)
    try:
        user, token = _viewer(world)
        assert world.api.call("POST", "/v1/auth/logout", token=token).status == 204
    finally:
        access.unsubscribe(broken)


def test_every_route_naming_a_camera_answers_404_for_one_outside_the_users_groups(world: World) -> None:
    # Given a viewer restricted to the school's camera, and the square's camera of the same city
    school, square = world.camera()["id"], world.camera()["id"]
    group = _group(world, school)
    _, token = _viewer(world, camera_group_ids=[group["id"]])
    window = {"from": iso(datetime.now(UTC) - timedelta(hours=1)), "to": iso(datetime.now(UTC))}
    checked = 0
    failures = []
    for route, methods in sorted(world.api.app.routes.items()):
        if "{camera_id}" not in route or "/lpr/intelbras/" in route:
            continue
        for method in sorted(methods):
            for camera, expected in ((square, 404), (school, None)):
                r = world.api.call(method, route.format(camera_id=camera), token=token, query=window, raw=b"{}")
                checked += 1
                # The square's camera is unknown to the viewer on every route; the school's is not
                if expected == 404 and r.status != 404:
                    failures.append(f"{method} {route} (outside the groups): {r.status} {r.text[:120]}")
                if expected is None and r.status == 404 and "câmera" in r.text:
                    failures.append(f"{method} {route} (its own camera): 404")
    assert checked >= 16 and not failures, "\n".join(failures)
