"""LPR and alerts honour camera groups: a user restricted to some cameras finds only those cameras' plate reads
(exact, prefix and fuzzy search, trajectory) and lists and handles only those cameras' alerts; another camera's
alert is a 404. An unrestricted user of the same city sees everything (the control)."""

from __future__ import annotations

import random
import string
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from api_resources import iso
from utils import World

from gtvision.core import db
from gtvision.lpr import plates

PASSWORD = "frase-longa-do-teste-42"


def _user(world: World, role: str, group_id: str | None) -> str:
    name = f"lg-{uuid.uuid4().hex[:10]}"
    body: dict[str, Any] = {"username": name, "password": PASSWORD, "role": role, "city_id": world.city_a}
    if group_id is not None:
        body["camera_group_ids"] = [group_id]
    r = world.api.call("POST", "/v1/users", body, world.manager_a)
    assert r.status == 201, r.text
    return str(world.api.login(name, PASSWORD))


def _read(city_id: str, camera_id: str, plate: str, at: datetime) -> str:
    skeleton, keys = plates.skeleton_and_keys(plate)
    with db.transaction() as conn:
        row = conn.execute(
            "INSERT INTO plate_reads (city_id, camera_id, event_id, plate, plate_skeleton, plate_keys, confidence,"
            " captured_at) VALUES (%s, %s, %s, %s, %s, %s, 0.9, %s) RETURNING id",
            (city_id, camera_id, uuid.uuid4().hex, plate, skeleton, keys, at),
        ).fetchone()
    return str(row["id"])


def _alert(city_id: str, camera_id: str | None, plate: str) -> str:
    with db.transaction() as conn:
        row = conn.execute(
            "INSERT INTO alerts (city_id, kind, plate, camera_id, captured_at, dedup_key, detail)"
            " VALUES (%s, 'clone_suspect', %s, %s, now(), %s, '{}') RETURNING id",
            (city_id, plate, camera_id, uuid.uuid4().hex),
        ).fetchone()
    return str(row["id"])


def _ids(world: World, token: str, path: str, **query: str) -> list[str]:
    r = world.api.call("GET", path, token=token, query={"limit": "500", **query})
    assert r.status == 200, (path, query, r.text)
    return [str(i["id"]) for i in r.json()["items"]]


def test_a_restricted_user_finds_only_its_cameras_reads_and_alerts(world: World) -> None:
    # Given the school's and the square's cameras, one read of the same plate at each, and an alert at each
    school, square = world.camera()["id"], world.camera()["id"]
    group = world.api.call(
        "POST", f"/v1/cities/{world.city_a}/camera-groups", {"name": f"Escola {uuid.uuid4().hex[:6]}",
                                                               "camera_ids": [school]}, world.manager_a
    )  # fmt: skip
    assert group.status == 201, group.text
    rng = random.Random()
    plate = "".join(rng.choices(string.ascii_uppercase, k=3)) + f"{rng.randrange(10)}A{rng.randrange(10)}5"
    now = datetime.now(UTC)
    at_school = _read(world.city_a, school, plate, now - timedelta(minutes=20))
    at_square = _read(world.city_a, square, plate, now - timedelta(minutes=10))
    alert_school, alert_square = _alert(world.city_a, school, plate), _alert(world.city_a, square, plate)
    no_camera = _alert(world.city_a, None, plate)
    restricted, operator = _user(world, "viewer", group.json()["id"]), _user(world, "operator", group.json()["id"])
    free = _user(world, "operator", None)
    window = {"from": iso(now - timedelta(hours=1)), "to": iso(now)}

    # Then the unrestricted operator finds both reads, and every alert
    both = {at_school, at_square}
    assert set(_ids(world, free, "/v1/lpr/events", plate=plate)) == both
    assert {alert_school, alert_square, no_camera} <= set(_ids(world, free, "/v1/alerts"))

    # And the restricted users only the school's, whatever the search
    for token in (restricted, operator):
        assert _ids(world, token, "/v1/lpr/events", plate=plate) == [at_school]
        assert _ids(world, token, "/v1/lpr/events", plate=plate[:4], match="prefix", **window) == [at_school]
        fuzzy = plate[:-1] + "7"  # one character misread
        assert _ids(world, token, "/v1/lpr/events", plate=fuzzy, match="fuzzy") == [at_school]
        r = world.api.call("GET", "/v1/lpr/trajectory", token=token, query={"plate": plate, **window})
        assert r.status == 200 and [p["id"] for p in r.json()["points"]] == [at_school], r.text
        listed = set(_ids(world, token, "/v1/alerts"))
        assert alert_school in listed and not {alert_square, no_camera} & listed
        assert set(_ids(world, token, "/v1/alerts", open="true", priority="normal")) & {alert_square} == set()
        # naming the square's camera is a 404, as everywhere else
        assert world.api.call("GET", "/v1/alerts", token=token, query={"camera_id": square}).status == 404
        assert world.api.call("GET", "/v1/lpr/events", token=token, query={"camera_id": square}).status == 404
    free_points = world.api.call("GET", "/v1/lpr/trajectory", token=free, query={"plate": plate, **window}).json()
    assert [p["id"] for p in free_points["points"]] == [at_school, at_square]

    # And the restricted operator handles the school's alert, while the square's is unknown to it
    ack = {"status": "acknowledged"}
    assert world.api.call("PATCH", f"/v1/alerts/{alert_square}", ack, operator).status == 404
    assert world.api.call("PATCH", f"/v1/alerts/{no_camera}", ack, operator).status == 404
    handled = world.api.call("PATCH", f"/v1/alerts/{alert_school}", ack, operator)
    assert handled.status == 200 and handled.json()["status"] == "acknowledged", handled.text
    assert world.api.call("PATCH", f"/v1/alerts/{alert_square}", ack, free).status == 200
