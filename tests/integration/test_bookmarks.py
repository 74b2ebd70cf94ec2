"""Bookmarks (contract: Control room): operators mark instants of a camera; lists by range; who may delete."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from evidence_support import iso, operator
from utils import World


def test_operators_mark_list_and_delete_bookmarks(world: World) -> None:
    camera = world.camera()
    base = f"/v1/cameras/{camera['id']}/bookmarks"
    t0 = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=2)
    mine, other = operator(world), operator(world)
    made = []
    for minutes, label in ((0, "chegada"), (10, "saída"), (90, "depois")):
        body = {"at": iso(t0 + timedelta(minutes=minutes)), "label": label}
        if minutes == 10:
            body["end"] = iso(t0 + timedelta(minutes=12))
        r = world.api.call("POST", base, body, mine)
        assert r.status == 201, r.text
        made.append(r.json())
    assert made[1]["end"] == iso(t0 + timedelta(minutes=12)) and made[0]["end"] is None
    # A range lists what starts inside it, by instant
    got = world.api.call("GET", base, token=other, query={"from": iso(t0), "to": iso(t0 + timedelta(hours=1))})
    assert got.status == 200 and [b["label"] for b in got.json()["items"]] == ["chegada", "saída"]
    # Viewers may not mark; an end before the instant is refused; another city's camera is 404
    assert world.api.call("POST", base, {"at": iso(t0), "label": "x"}, world.viewer_a).status == 403
    bad = {"at": iso(t0), "end": iso(t0 - timedelta(seconds=1)), "label": "x"}
    assert world.api.call("POST", base, bad, mine).status == 422
    assert world.api.call("GET", base, token=world.manager_b).status == 404
    # Only the author or a manager deletes
    assert world.api.call("DELETE", f"/v1/bookmarks/{made[0]['id']}", token=other).status == 403
    assert world.api.call("DELETE", f"/v1/bookmarks/{made[0]['id']}", token=mine).status == 204
    assert world.api.call("DELETE", f"/v1/bookmarks/{made[1]['id']}", token=world.manager_a).status == 204
    assert world.api.call("DELETE", f"/v1/bookmarks/{made[2]['id']}", token=world.manager_b).status == 404
    left = world.api.call("GET", base, token=mine).json()["items"]
    assert [b["label"] for b in left] == ["depois"]
