"""Four permission levels (contract v1.2): viewer < operator < manager < admin."""

from __future__ import annotations

import uuid
from typing import Any

from test_clip_expiry import make_clip


def _user(world: Any, role: str, city: str | None = None) -> str:
    username = f"{role}-{uuid.uuid4().hex[:8]}"
    body = {"username": username, "password": "senha-forte-123", "role": role, "city_id": city or world.city_a}
    r = world.api.call("POST", "/v1/users", body, world.manager_a)
    assert r.status == 201, r.text
    assert r.json()["role"] == role
    return str(world.api.login(username, "senha-forte-123"))


def test_a_manager_creates_an_operator_who_reads_clips_but_may_not_hold_them_or_manage_cameras(world: Any) -> None:
    # Given a held clip of city A and an operator of city A
    camera = world.camera()
    clip_id = make_clip(camera)
    operator = _user(world, "operator")
    # When the operator uses the routes: clips are theirs, holds and cameras are a manager's
    assert world.api.call("GET", f"/v1/clips/{clip_id}", token=operator).status == 200
    assert world.api.call("GET", "/v1/clips", token=operator).status == 200
    assert world.api.call("GET", f"/v1/clips/{clip_id}", token=world.viewer_a).status == 403
    hold = world.api.call("POST", f"/v1/clips/{clip_id}/hold", {"reason": "BO 12/2026"}, operator)
    assert hold.status == 403 and hold.json()["error"]["code"] == "forbidden"
    body = {"name": "Nova", "source_url": "rtsp://192.168.10.21:554/s"}
    assert world.api.call("POST", f"/v1/cities/{world.city_a}/cameras", body, operator).status == 403
    # Another city's clip is a 404 to an operator too (visibility before role)
    other = make_clip(world.camera(token=world.manager_b, city=world.city_b))
    assert world.api.call("GET", f"/v1/clips/{other}", token=operator).status == 404


def test_operators_are_listed_with_their_role_and_the_document_names_them(world: Any) -> None:
    _user(world, "operator")
    users = world.api.call("GET", "/v1/users", token=world.manager_a, query={"limit": "500"}).json()["items"]
    assert "operator" in {u["role"] for u in users}
    doc = world.api.call("GET", "/v1/openapi.json").json()
    assert doc["paths"]["/v1/clips"]["post"]["x-roles"] == ["admin", "manager", "operator"]
    assert doc["paths"]["/v1/clips/{clip_id}/hold"]["post"]["x-roles"] == ["admin", "manager"]


def test_an_operator_restricted_to_a_camera_group_reads_only_that_groups_clips(world: Any) -> None:
    # Given two cameras of city A with a clip each, and an operator restricted to the first one's group
    school, street = world.camera(name="Escola"), world.camera(name="Rua")
    mine, other = make_clip(school), make_clip(street)
    group = world.api.call(
        "POST",
        f"/v1/cities/{world.city_a}/camera-groups",
        {"name": "Escolas", "camera_ids": [school["id"]]},
        world.manager_a,
    ).json()
    username = f"guarda-{uuid.uuid4().hex[:8]}"
    body = {
        "username": username,
        "password": "senha-forte-123",
        "role": "operator",
        "city_id": world.city_a,
        "camera_group_ids": [group["id"]],
    }
    assert world.api.call("POST", "/v1/users", body, world.manager_a).status == 201
    guard = str(world.api.login(username, "senha-forte-123"))
    # Then the group's clip is there, the other camera's is 404 and absent from the list
    assert world.api.call("GET", f"/v1/clips/{mine}", token=guard).status == 200
    assert world.api.call("GET", f"/v1/clips/{other}", token=guard).status == 404
    listed = {c["id"] for c in world.api.call("GET", "/v1/clips", token=guard, query={"limit": "500"}).json()["items"]}
    assert mine in listed and other not in listed
    # And a manager of the city still sees both
    listed = {
        c["id"]
        for c in world.api.call("GET", "/v1/clips", token=world.manager_a, query={"limit": "500"}).json()["items"]
    }
    assert {mine, other} <= listed
