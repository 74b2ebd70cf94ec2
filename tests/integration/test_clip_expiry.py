"""Clips leave storage: DELETE /v1/clips/{id} (409 while held) and expiry with the city's retention;
refused uploads expire too. Real PostgreSQL, S3 through moto, RetentionFunction's own handler."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import recording_support as rs
from utils import LambdaContext, load_function

from gtvision.clips import keys as clip_keys
from gtvision.core import aws, db
from gtvision.recordings.service import segment_key


def exists(key: str) -> bool:
    listing = aws.client("s3").list_objects_v2(Bucket=rs.bucket(), Prefix=key)
    return any(o["Key"] == key for o in listing.get("Contents", []))


def make_clip(camera: dict[str, Any], *, age: timedelta = timedelta(0), held: bool = False) -> str:
    """Given a ready clip of the camera made `age` ago, with its clip and manifest objects in storage."""
    now = datetime.now(UTC)
    with db.transaction() as conn:
        row = conn.execute(
            "INSERT INTO clips (camera_id, city_id, start_at, end_at, status, sha256, created_at, held, hold_reason,"
            " held_at) VALUES (%s, %s, %s, %s, 'ready', 'ab', %s, %s, %s, %s) RETURNING id",
            (camera["id"], camera["city_id"], now - age - timedelta(minutes=5), now - age, now - age, held,
             "inquérito 7/2026" if held else None, now if held else None),
        ).fetchone()  # fmt: skip
        clip_id = str(row["id"])
        key, manifest = clip_keys.clip_key(clip_id), clip_keys.manifest_key(clip_id)
        conn.execute("UPDATE clips SET s3_key = %s, manifest_key = %s WHERE id = %s", (key, manifest, clip_id))
    rs.upload(key, b"\x00\x00\x00\x18ftypisom clip")
    rs.upload(manifest, b'{"clip": {}}')
    return clip_id


def clip_row(clip_id: str) -> dict[str, Any] | None:
    with db.transaction() as conn:
        return conn.execute("SELECT * FROM clips WHERE id = %s", (clip_id,)).fetchone()


def clip_objects_exist(clip_id: str) -> list[bool]:
    return [exists(clip_keys.clip_key(clip_id)), exists(clip_keys.manifest_key(clip_id))]


def run_retention_function() -> dict[str, Any]:
    """RetentionFunction's handler, as the hourly schedule invokes it."""
    out = load_function("retention", "handler").handler({"source": "aws.events"}, LambdaContext())
    assert isinstance(out, dict)
    return out


def test_delete_clip_is_for_managers_refused_while_held_and_audited(world: Any) -> None:
    camera = world.camera()
    clip_id = make_clip(camera, held=True)
    path = f"/v1/clips/{clip_id}"
    # viewers can't, other cities don't see it, nonsense ids are 404
    assert world.api.call("DELETE", path, token=world.viewer_a).status == 403
    assert world.api.call("DELETE", path, token=world.manager_b).status == 404
    assert world.api.call("DELETE", "/v1/clips/nao-e-um-id", token=world.manager_a).status == 404
    # While it is held: 409 in the contract's error shape, and nothing is touched
    r = world.api.call("DELETE", path, token=world.manager_a)
    assert r.status == 409, r.text
    assert r.json()["error"]["code"] == "clip_held"
    assert clip_row(clip_id) is not None and clip_objects_exist(clip_id) == [True, True]
    # Once the hold is lifted the manager deletes it: the row, the clip and its manifest are gone
    assert world.api.call("DELETE", f"{path}/hold", token=world.manager_a).status == 200
    r = world.api.call("DELETE", path, token=world.manager_a)
    assert r.status == 204, r.text
    assert clip_row(clip_id) is None and clip_objects_exist(clip_id) == [False, False]
    assert world.api.call("GET", path, token=world.manager_a).status == 404
    assert world.api.call("DELETE", path, token=world.manager_a).status == 404
    # and the audit trail says who deleted it
    with db.transaction() as conn:
        entries = conn.execute(
            "SELECT status, city_id, detail FROM audit_log WHERE action = 'clip.delete' AND resource = %s"
            " ORDER BY id", (path,),
        ).fetchall()  # fmt: skip
    assert [e["status"] for e in entries] == [403, 404, 409, 204, 404]
    assert str(entries[3]["city_id"]) == world.city_a and entries[3]["detail"]["camera_id"] == camera["id"]


def test_clips_expire_with_the_city_retention_unless_held(world: Any) -> None:
    camera = world.camera()  # city A keeps 7 days
    expired = make_clip(camera, age=timedelta(days=8))
    held = make_clip(camera, age=timedelta(days=8), held=True)
    young = make_clip(camera, age=timedelta(days=6))

    out = run_retention_function()

    assert out["clips_deleted"] >= 1
    assert clip_row(expired) is None and clip_objects_exist(expired) == [False, False]
    assert clip_row(held) is not None and clip_objects_exist(held) == [True, True]
    assert clip_row(young) is not None and clip_objects_exist(young) == [True, True]
    with db.transaction() as conn:
        run = conn.execute("SELECT detail FROM retention_runs ORDER BY id DESC LIMIT 1").fetchone()
        city = conn.execute(
            "SELECT detail FROM audit_log WHERE action = 'retention.city' AND city_id = %s ORDER BY id DESC LIMIT 1",
            (world.city_a,),
        ).fetchone()
    assert run["detail"]["clips_deleted"] == out["clips_deleted"]
    assert city["detail"]["clips_deleted"] >= 1


def test_refused_uploads_expire_with_their_camera_city_or_the_longest_plan(world: Any, tmp_path: Any) -> None:
    camera = str(world.camera()["id"])  # city A keeps 7 days
    # Given junk uploaded under a known camera and under cameras nobody registered, refused by the pipeline
    start = datetime(2026, 11, 1, 8, 0, tzinfo=UTC)
    known = segment_key(camera, start, "ts")
    unknown_old = segment_key("00000000-0000-4000-8000-00000000000a", start, "ts")
    unknown_young = segment_key("00000000-0000-4000-8000-00000000000b", start, "ts")
    for key in (known, unknown_old, unknown_young):
        rs.upload(key, b"definitely not video")
    assert rs.deliver({known, unknown_old, unknown_young}) == {"batchItemFailures": []}
    assert [r["reason"] for r in rs.rejections(known)] == ["unreadable_media"]
    # refused 8, 31 and 8 days ago
    with db.transaction() as conn:
        for key, days in ((known, 8), (unknown_old, 31), (unknown_young, 8)):
            conn.execute(
                "UPDATE rejected_uploads SET at = now() - make_interval(days => %s) WHERE s3_key = %s", (days, key)
            )

    out = run_retention_function()

    # Then the known camera's junk went with its city's 7 days; unknown cameras' after the longest plan (30)
    assert out["rejected_uploads_deleted"] >= 2
    assert rs.rejections(known) == [] and not exists(known)
    assert rs.rejections(unknown_old) == [] and not exists(unknown_old)
    assert len(rs.rejections(unknown_young)) == 1 and exists(unknown_young)


def test_a_refused_key_registered_later_keeps_its_object(world: Any, tmp_path: Any) -> None:
    from gtvision_local.testmedia import make_video

    camera = str(world.camera()["id"])
    key = segment_key(camera, datetime.now(UTC).replace(microsecond=0) - timedelta(hours=1), "mp4")
    # Given a key first refused (junk), then re-uploaded readable and registered
    rs.upload(key, b"junk")
    assert rs.deliver({key}) == {"batchItemFailures": []}
    with db.transaction() as conn:
        conn.execute("UPDATE rejected_uploads SET at = now() - interval '40 days' WHERE s3_key = %s", (key,))
    rs.upload(key, make_video(str(tmp_path / "ok.mp4"), 1, fmt="fmp4"))
    assert rs.deliver({key}) == {"batchItemFailures": []}
    assert [r["s3_key"] for r in rs.segment_rows(camera)] == [key]

    run_retention_function()

    # Then the stale refusal is forgotten but the object, now a registered segment, stays
    assert rs.rejections(key) == []
    assert exists(key) and [r["s3_key"] for r in rs.segment_rows(camera)] == [key]
