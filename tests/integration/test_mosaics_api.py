"""Mosaics (video walls): cameras of one city in a layout (up to 16), tours, live URLs; tenancy and roles."""

from __future__ import annotations

import uuid


def test_mosaic_lifecycle_with_live_urls(world):
    api = world.api
    cams = [world.camera()["id"] for _ in range(3)]
    r = api.call("POST", "/v1/mosaics", {"name": "Centro", "camera_ids": cams, "layout": "2x2"}, world.manager_a)
    assert r.status == 201, r.text
    mosaic = r.json()
    assert mosaic["camera_ids"] == cams and [c["camera_id"] for c in mosaic["cameras"]] == cams
    assert all(c["urls"]["hls"].endswith(f"/{c['camera_id']}/index.m3u8") for c in mosaic["cameras"])
    got = api.call("GET", f"/v1/mosaics/{mosaic['id']}", token=world.viewer_a)
    assert got.status == 200 and len(got.json()["cameras"]) == 3
    listed = api.call("GET", "/v1/mosaics", token=world.viewer_a).json()["items"]
    assert mosaic["id"] in [m["id"] for m in listed]
    assert api.call("GET", f"/v1/mosaics/{mosaic['id']}", token=world.viewer_b).status == 404
    assert api.call("DELETE", f"/v1/mosaics/{mosaic['id']}", token=world.viewer_a).status == 403
    assert api.call("DELETE", f"/v1/mosaics/{mosaic['id']}", token=world.manager_b).status == 404
    assert api.call("DELETE", f"/v1/mosaics/{mosaic['id']}", token=world.manager_a).status == 204
    assert api.call("GET", f"/v1/mosaics/{mosaic['id']}", token=world.manager_a).status == 404


def test_mosaic_limits_and_other_cities_cameras(world):
    api = world.api
    mine = [world.camera()["id"] for _ in range(2)]
    theirs = world.camera(token=world.manager_b, city=world.city_b)["id"]
    five = mine * 3
    assert api.call("POST", "/v1/mosaics", {"name": "x", "camera_ids": five[:5]}, world.manager_a).status == 422
    assert api.call("POST", "/v1/mosaics", {"name": "x", "camera_ids": []}, world.manager_a).status == 422
    r = api.call("POST", "/v1/mosaics", {"name": "x", "camera_ids": mine, "layout": "1x1"}, world.manager_a)
    assert r.status == 422 and r.json()["error"]["code"] == "too_many_cameras"
    r = api.call("POST", "/v1/mosaics", {"name": "x", "camera_ids": [mine[0], theirs]}, world.manager_a)
    assert r.status == 404
    r = api.call("POST", "/v1/mosaics", {"name": "x", "camera_ids": mine}, world.viewer_a)
    assert r.status == 403


def test_managers_edit_a_mosaic_in_place_within_their_city(world):
    api = world.api
    cams = [world.camera()["id"] for _ in range(3)]
    theirs = world.camera(token=world.manager_b, city=world.city_b)["id"]
    mosaic = api.call("POST", "/v1/mosaics", {"name": "Centro", "camera_ids": cams[:2]}, world.manager_a).json()
    path = f"/v1/mosaics/{mosaic['id']}"

    # A manager renames it and swaps its cameras: same id, new name and cameras, with their live URLs
    r = api.call("PATCH", path, {"name": "Centro novo", "camera_ids": cams[1:]}, world.manager_a)
    assert r.status == 200, r.text
    assert (r.json()["id"], r.json()["name"], r.json()["camera_ids"]) == (mosaic["id"], "Centro novo", cams[1:])
    assert [c["camera_id"] for c in r.json()["cameras"]] == cams[1:]
    assert api.call("GET", path, token=world.viewer_a).json()["camera_ids"] == cams[1:]
    # A rename alone keeps the cameras
    assert api.call("PATCH", path, {"name": "Só nome"}, world.manager_a).json()["camera_ids"] == cams[1:]

    # Nothing changes on a refusal: another city's camera (404), too many for the layout (422), a viewer (403),
    # another city's manager (404), an unknown field (400/422)
    assert api.call("PATCH", path, {"camera_ids": [cams[0], theirs]}, world.manager_a).status == 404
    r = api.call("PATCH", path, {"layout": "1x1"}, world.manager_a)
    assert r.status == 422 and r.json()["error"]["code"] == "too_many_cameras"
    assert api.call("PATCH", path, {"name": "x"}, world.viewer_a).status == 403
    assert api.call("PATCH", path, {"name": "x"}, world.manager_b).status == 404
    assert api.call("PATCH", path, {"owner": "x"}, world.manager_a).status in (400, 422)
    after = api.call("GET", path, token=world.manager_a).json()
    assert (after["name"], after["camera_ids"], after["layout"]) == ("Só nome", cams[1:], "2x2")


def test_video_wall_layouts_take_up_to_as_many_cameras_as_cells(world):
    api = world.api
    cams = [world.camera()["id"] for _ in range(17)]
    # Given each layout, it takes exactly as many cameras as it has cells (1+5: one large and five small)
    for layout, cells in (("1x1", 1), ("1x2", 2), ("2x2", 4), ("3x3", 9), ("4x4", 16), ("1+5", 6)):
        body = {"name": f"Parede {layout}", "camera_ids": cams[:cells], "layout": layout}
        r = api.call("POST", "/v1/mosaics", body, world.manager_a)
        assert r.status == 201, (layout, r.text)
        assert (r.json()["layout"], len(r.json()["cameras"])) == (layout, cells)
        # and one more is refused with the layout's capacity
        r = api.call("POST", "/v1/mosaics", {**body, "camera_ids": cams[: cells + 1]}, world.manager_a)
        assert (r.status, r.json()["error"]["code"]) in ((422, "too_many_cameras"), (422, "validation_error")), layout
    # an unknown layout is a 422
    unknown = {"name": "x", "camera_ids": cams[:1], "layout": "5x5"}
    assert api.call("POST", "/v1/mosaics", unknown, world.manager_a).status == 422


def test_a_tour_shows_pages_of_cameras_in_turn_and_lists_every_camera_with_urls(world):
    api = world.api
    cams = [world.camera()["id"] for _ in range(6)]
    theirs = world.camera(token=world.manager_b, city=world.city_b)["id"]
    tour = {"dwell_s": 20, "pages": [cams[:4], cams[2:6]]}

    # Given a 2x2 wall of the first four cameras with a two-page tour
    body = {"name": "Ronda", "camera_ids": cams[:4], "layout": "2x2", "tour": tour}
    r = api.call("POST", "/v1/mosaics", body, world.manager_a)
    assert r.status == 201, r.text
    mosaic = r.json()
    # Then it keeps the tour and describes every camera the tour shows, with live URLs
    assert mosaic["tour"] == tour
    got = api.call("GET", f"/v1/mosaics/{mosaic['id']}", token=world.viewer_a).json()
    assert [c["camera_id"] for c in got["cameras"]] == cams
    assert all(c["urls"]["hls"].endswith(f"/{c['camera_id']}/index.m3u8") for c in got["cameras"])

    path = f"/v1/mosaics/{mosaic['id']}"
    # Refused, nothing changed: a page larger than the layout, another city's camera, a dwell out of 10–300 s
    r = api.call("PATCH", path, {"tour": {"dwell_s": 20, "pages": [cams[:5]]}}, world.manager_a)
    assert (r.status, r.json()["error"]["code"]) == (422, "too_many_cameras")
    assert api.call("PATCH", path, {"tour": {"dwell_s": 20, "pages": [[theirs]]}}, world.manager_a).status == 404
    for dwell in (9, 301):
        assert api.call("PATCH", path, {"tour": {"dwell_s": dwell, "pages": [cams[:1]]}}, world.manager_a).status == 422
    # a smaller layout refuses the tour's pages too
    r = api.call("PATCH", path, {"layout": "1x1", "camera_ids": cams[:1]}, world.manager_a)
    assert (r.status, r.json()["error"]["code"]) == (422, "too_many_cameras")
    assert api.call("GET", path, token=world.manager_a).json()["tour"] == tour

    # When a manager renames it, the tour stays; "tour": null removes it
    assert api.call("PATCH", path, {"name": "Ronda 2"}, world.manager_a).json()["tour"] == tour
    cleared = api.call("PATCH", path, {"tour": None}, world.manager_a).json()
    assert cleared["tour"] is None and [c["camera_id"] for c in cleared["cameras"]] == cams[:4]


def _restricted(world, role, *camera_ids):
    """A fresh user of city A restricted to one camera group holding `camera_ids`: their token."""
    api = world.api
    group = {"name": f"Grupo {uuid.uuid4().hex[:6]}", "camera_ids": list(camera_ids)}
    r = api.call("POST", f"/v1/cities/{world.city_a}/camera-groups", group, world.manager_a)
    assert r.status == 201, r.text
    name = f"mos-{uuid.uuid4().hex[:8]}"
    body = {"username": name, "password": "frase-longa-do-teste-42", "role": role, "city_id": world.city_a}
    body["camera_group_ids"] = [r.json()["id"]]
    assert api.call("POST", "/v1/users", body, world.admin).status == 201
    return api.login(name, "frase-longa-do-teste-42")


def test_a_user_restricted_to_camera_groups_sees_and_places_only_their_cameras(world):
    api = world.api
    school, square, port = (world.camera()["id"] for _ in range(3))
    tour = {"dwell_s": 10, "pages": [[school, square], [port]]}
    body = {"name": "Centro", "camera_ids": [square, school], "layout": "2x2", "tour": tour}
    wall = api.call("POST", "/v1/mosaics", body, world.manager_a).json()
    path = f"/v1/mosaics/{wall['id']}"
    viewer = _restricted(world, "viewer", school)

    # A restricted viewer reads the wall with only their camera: on it, on the tour's pages, with live URLs
    got = api.call("GET", path, token=viewer)
    assert got.status == 200, got.text
    assert got.json()["camera_ids"] == [school]
    assert got.json()["tour"] == {"dwell_s": 10, "pages": [[school]]}  # the page of the port alone is gone
    assert [c["camera_id"] for c in got.json()["cameras"]] == [school]
    (listed,) = [m for m in api.call("GET", "/v1/mosaics", token=viewer).json()["items"] if m["id"] == wall["id"]]
    assert listed["camera_ids"] == [school] and listed["tour"]["pages"] == [[school]]
    # while an unrestricted user still reads all of it
    assert api.call("GET", path, token=world.viewer_a).json()["camera_ids"] == [square, school]

    # A restricted manager places only their cameras, on a wall or on a tour (any other is 404, as a missing one)
    manager = _restricted(world, "manager", school, port)
    assert api.call("POST", "/v1/mosaics", {"name": "x", "camera_ids": [school, square]}, manager).status == 404
    tour_out = {"name": "x", "camera_ids": [school], "tour": {"dwell_s": 10, "pages": [[square]]}}
    assert api.call("POST", "/v1/mosaics", tour_out, manager).status == 404
    made = api.call("POST", "/v1/mosaics", {"name": "Escola", "camera_ids": [school, port]}, manager)
    assert made.status == 201 and made.json()["camera_ids"] == [school, port]
    assert api.call("PATCH", path, {"camera_ids": [square]}, manager).status == 404
    assert api.call("PATCH", path, {"tour": {"dwell_s": 20, "pages": [[square]]}}, manager).status == 404
    # a rename keeps the wall as it is, and answers it as the manager may see it
    renamed = api.call("PATCH", path, {"name": "Centro velho"}, manager)
    assert renamed.status == 200 and renamed.json()["camera_ids"] == [school]
    assert api.call("GET", path, token=world.manager_a).json()["camera_ids"] == [square, school]
    # but replacing the cameras (or the tour) of a wall that shows cameras outside their groups is refused: the
    # list they would send is the one they read, without those cameras, which would vanish for everyone else
    for patch in ({"camera_ids": [school]}, {"camera_ids": [port, school]}, {"tour": None}):
        refused = api.call("PATCH", path, patch, manager)
        assert refused.status == 403 and refused.json()["error"]["code"] == "mosaic_has_other_cameras", refused.text
    full = api.call("GET", path, token=world.manager_a).json()
    assert full["camera_ids"] == [square, school] and full["tour"] == tour
    # while on a wall of their own cameras only they change what they like
    own = f"/v1/mosaics/{made.json()['id']}"
    changed = api.call("PATCH", own, {"camera_ids": [port], "tour": {"dwell_s": 15, "pages": [[school]]}}, manager)
    assert changed.status == 200 and changed.json()["camera_ids"] == [port], changed.text
