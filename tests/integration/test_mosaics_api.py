"""Mosaics: 1–4 cameras of one city, with live URLs; tenancy and roles."""

from __future__ import annotations


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
