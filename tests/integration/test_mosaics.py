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
