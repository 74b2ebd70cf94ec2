"""Case holds: the recordings an open case's items come from survive a retention run that deletes everything
else of their day; closing the case keeps them GTV_CASE_KEEP_DAYS, then retention applies. A clip's hold takes a
reason and optionally a case."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from evidence_support import bucket, iso, operator
from utils import World

from gtvision.core import aws, db
from gtvision.core.settings import get_settings

SEG = timedelta(seconds=4)
GAP = timedelta(seconds=60)


def record(camera: dict[str, Any], starts: list[datetime], quality: str = "main") -> list[str]:
    """Segments as the upload function leaves them (object + thumbnail + row), 4 s each, of the camera's main
    stream or sub-stream (two-tier recording)."""
    from gtvision.recordings import store as segments

    keys = []
    path = camera["id"] if quality == "main" else f"{camera['id']}_sub"
    for start in starts:
        stamp = start.strftime("%Y-%m-%d_%H-%M-%S-%f")
        key, thumb = f"recordings/{path}/{stamp}.mp4", f"thumbnails/{path}/{stamp}.jpg"
        aws.client("s3").put_object(Bucket=bucket(), Key=key, Body=b"\x00\x00\x00\x18ftypisom" + stamp.encode())
        aws.client("s3").put_object(Bucket=bucket(), Key=thumb, Body=b"\xff\xd8\xff\xe0jpeg")
        with db.transaction() as conn:
            segments.insert(
                conn,
                {
                    "camera_id": camera["id"],
                    "city_id": camera["city_id"],
                    "start_at": start,
                    "end_at": start + SEG,
                    "duration_s": SEG.total_seconds(),
                    "s3_key": key,
                    "thumb_key": thumb,
                    "size_bytes": 100,
                    "container": "mp4",
                    "video_codec": "h264",
                    "width": 320,
                    "height": 180,
                    "quality": quality,
                },
            )
        keys.append(key)
    return keys


def stored(camera: dict[str, Any], quality: str = "main") -> list[datetime]:
    with db.transaction() as conn:
        rows = conn.execute(
            "SELECT start_at FROM segments WHERE camera_id = %s AND quality = %s ORDER BY start_at",
            (camera["id"], quality),
        ).fetchall()
    return [r["start_at"] for r in rows]


def exists(key: str) -> bool:
    return bool(aws.client("s3").list_objects_v2(Bucket=bucket(), Prefix=key).get("KeyCount"))


def tag(key: str) -> str:
    tags = aws.client("s3").get_object_tagging(Bucket=bucket(), Key=key)["TagSet"]
    return next((t["Value"] for t in tags if t["Key"] == "retention-days"), "")


@pytest.fixture()
def old_day(world: World) -> dict[str, Any]:
    """Given: two cameras of city A (7-day plan) with four segments each, a minute apart, 80 days ago."""
    day = (datetime.now(UTC) - timedelta(days=80)).replace(hour=10, minute=0, second=0, microsecond=0)
    starts = [day + i * GAP for i in range(4)]
    a, b = world.camera(), world.camera()
    return {"a": a, "b": b, "starts": starts, "keys_a": record(a, starts), "keys_b": record(b, starts)}


def run_retention() -> Any:
    from gtvision.retention import service as retention

    return retention.run()


def test_an_open_cases_recordings_survive_retention_then_closing_lets_them_go(
    world: World, old_day: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given an operator's case with a bookmark (in the case) on camera A's third segment
    op = operator(world)
    case = world.api.call("POST", "/v1/cases", {"title": "Acidente", "category": "ocorrencia"}, op).json()
    at = old_day["starts"][2] + timedelta(seconds=1)
    body = {"at": iso(at), "end": iso(at + timedelta(seconds=2)), "label": "colisão", "case_id": case["id"]}
    r = world.api.call("POST", f"/v1/cameras/{old_day['a']['id']}/bookmarks", body, op)
    assert r.status == 201, r.text
    items = world.api.call("GET", f"/v1/cases/{case['id']}/items", token=op).json()["items"]
    assert [(i["kind"], i["ref_id"]) for i in items] == [("bookmark", r.json()["id"])]
    held_key = old_day["keys_a"][2]
    assert tag(held_key) == "held"

    # When retention runs: everything else of that day goes, the held segment stays (row and objects)
    run_retention()
    assert stored(old_day["a"]) == [old_day["starts"][2]]
    assert stored(old_day["b"]) == []
    assert exists(held_key) and not exists(old_day["keys_a"][1]) and not exists(old_day["keys_b"][2])

    # When the case is closed (keep period 0 days here) and the reconciler runs: the hold ends
    monkeypatch.setenv("GTV_CASE_KEEP_DAYS", "0")
    get_settings.cache_clear()
    try:
        closed = world.api.call("PATCH", f"/v1/cases/{case['id']}", {"status": "closed"}, op)
    finally:
        monkeypatch.undo()
        get_settings.cache_clear()
    assert closed.status == 200 and closed.json()["status"] == "closed" and closed.json()["keep_until"]
    from gtvision.exports import recovery

    assert case["id"] in recovery.reconcile().cases_released
    assert tag(held_key) == "7"
    run_retention()
    assert stored(old_day["a"]) == [] and not exists(held_key)
    kinds = [e["kind"] for e in world.api.call("GET", f"/v1/cases/{case['id']}/custody", token=op).json()["items"]]
    assert kinds == ["case.created", "item.added", "hold.placed", "case.closed", "hold.released"]


def test_a_closed_case_keeps_its_holds_for_the_keep_period(world: World, old_day: dict[str, Any]) -> None:
    case = world.api.call("POST", "/v1/cases", {"title": "Guarda", "category": "interno"}, world.manager_a).json()
    at = old_day["starts"][1] + timedelta(seconds=1)
    r = world.api.call(
        "POST",
        f"/v1/cameras/{old_day['a']['id']}/bookmarks",
        {"at": iso(at), "label": "x", "case_id": case["id"]},
        world.manager_a,
    )
    assert r.status == 201, r.text
    closed = world.api.call("PATCH", f"/v1/cases/{case['id']}", {"status": "closed"}, world.manager_a).json()
    keep = datetime.fromisoformat(closed["keep_until"].replace("Z", "+00:00"))
    assert keep - datetime.now(UTC) > timedelta(days=364)
    run_retention()
    assert stored(old_day["a"]) == [old_day["starts"][1]]
    # A closed case takes no new items; reopened, it does (and holds again without end)
    note = {"kind": "note", "text": "testemunha ouvida"}
    assert world.api.call("POST", f"/v1/cases/{case['id']}/items", note, world.manager_a).status == 409
    world.api.call("PATCH", f"/v1/cases/{case['id']}", {"status": "open"}, world.manager_a)
    assert world.api.call("POST", f"/v1/cases/{case['id']}/items", note, world.manager_a).status == 201


def test_a_clip_hold_takes_a_reason_and_a_case(world: World, old_day: dict[str, Any]) -> None:
    recent = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=1)
    record(old_day["a"], [recent])
    clip = world.api.call(
        "POST",
        "/v1/clips",
        {"camera_id": old_day["a"]["id"], "start": iso(recent), "end": iso(recent + timedelta(seconds=2))},
        world.manager_a,
    ).json()
    case = world.api.call("POST", "/v1/cases", {"title": "Furto", "category": "ocorrencia"}, world.manager_a).json()
    held = world.api.call(
        "POST", f"/v1/clips/{clip['id']}/hold", {"reason": "inquérito 12/2026", "case_id": case["id"]}, world.manager_a
    )
    assert held.status == 200, held.text
    assert held.json()["held"] and held.json()["hold_reason"] == "inquérito 12/2026"
    assert held.json()["hold_case_id"] == case["id"]
    items = world.api.call("GET", f"/v1/cases/{case['id']}/items", token=world.manager_a).json()["items"]
    assert [(i["kind"], i["ref_id"]) for i in items] == [("clip", clip["id"])]
    lifted = world.api.call("DELETE", f"/v1/clips/{clip['id']}/hold", token=world.manager_a)
    assert lifted.status == 409 and lifted.json()["error"]["code"] == "clip_held_by_case"
    # Another city's case is a 404
    other = world.api.call("POST", "/v1/cases", {"title": "B", "category": "interno"}, world.manager_b).json()
    r = world.api.call("POST", f"/v1/clips/{clip['id']}/hold", {"reason": "x", "case_id": other["id"]}, world.manager_a)
    assert r.status == 404


def test_a_case_keeps_its_main_stream_past_full_quality_days_then_gives_it_the_main_plan(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a 30-day city that keeps full quality 7 days, and a camera's main and sub-stream of 20 days ago
    r = world.api.call(
        "PATCH", f"/v1/cities/{world.city_a}", {"retention_days": 30, "full_quality_days": 7}, world.admin
    )
    assert r.status == 200, r.text
    camera = world.camera()
    day = (datetime.now(UTC) - timedelta(days=20)).replace(hour=10, minute=0, second=0, microsecond=0)
    starts = [day, day + GAP]
    main, sub = record(camera, starts), record(camera, starts, "sub")
    # and a case holding the first minute's recording (a bookmark in it)
    case = world.api.call("POST", "/v1/cases", {"title": "Dois fluxos", "category": "interno"}, world.manager_a)
    at = starts[0] + timedelta(seconds=1)
    body = {"at": iso(at), "end": iso(at + timedelta(seconds=2)), "label": "x", "case_id": case.json()["id"]}
    assert world.api.call("POST", f"/v1/cameras/{camera['id']}/bookmarks", body, world.manager_a).status == 201
    assert tag(main[0]) == "held"

    # When retention runs: the held main segment outlives full_quality_days, the other main one does not;
    # the sub-stream is within its plan
    run_retention()
    assert stored(camera) == [starts[0]] and exists(main[0]) and not exists(main[1])
    assert stored(camera, "sub") == starts

    # When the case is closed (keep period 0 days) and its hold ends, the main segment gets the main plan's tag
    monkeypatch.setenv("GTV_CASE_KEEP_DAYS", "0")
    get_settings.cache_clear()
    try:
        closed = world.api.call("PATCH", f"/v1/cases/{case.json()['id']}", {"status": "closed"}, world.manager_a)
    finally:
        monkeypatch.undo()
        get_settings.cache_clear()
    assert closed.status == 200, closed.text
    from gtvision.exports import recovery

    assert case.json()["id"] in recovery.reconcile().cases_released
    assert tag(main[0]) == "7" and tag(sub[0]) == "30"
    run_retention()
    assert stored(camera) == [] and stored(camera, "sub") == starts
