"""Tamper detection on real H.264 segments (lavfi, registered through SegmentUploadFunction): testsrc2, then a
black picture, a blurred one and another scene raise `camera_tampered` with the reasons `covered`,
`defocused` and `moved` — each on the second segment after the fault, once — and each resolves when the
picture returns; testsrc2 fading to 20 % of its brightness over ten minutes (a synthetic dusk) raises nothing.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import psycopg
import recording_support as rs

from gtvision.core import db
from gtvision.media.ffmpeg import run_ffmpeg
from gtvision.recordings.service import segment_key

SIZE = "640x360"
SEG_S = 2


def make(path: Path, picture: str, t0: float = 0.0) -> str:
    """A 2 s fMP4 segment (a keyframe a second) of `picture`: the scene, black, blurred, moved, or dusk:<f>."""
    scene = f"testsrc2=size={SIZE}:rate=25:duration={t0 + SEG_S:g}"
    vf = "null"
    if picture == "black":
        scene = f"color=c=black:size={SIZE}:rate=25:duration={SEG_S}"
    elif picture == "blurred":
        vf = "gblur=sigma=5"
    elif picture == "moved":  # the camera turned: another part of the world in view
        vf = "crop=iw*0.6:ih*0.6:iw*0.4:ih*0.3,scale=640:360"
    elif picture.startswith("dusk:"):
        f = float(picture.split(":")[1])
        vf = f"lutyuv=y=val*{f}:u=128+(val-128)*{f}:v=128+(val-128)*{f}"
    seek = ["-ss", f"{t0:g}"] if t0 and picture != "black" else []
    encode = ["-c:v", "libx264", "-preset", "ultrafast", "-g", "25", "-pix_fmt", "yuv420p"]
    fmp4 = ["-movflags", "+frag_keyframe+empty_moov+default_base_moof", "-f", "mp4"]
    run_ffmpeg(["-y", "-f", "lavfi", "-i", scene, *seek, "-vf", vf, *encode, *fmp4, str(path)], timeout=120)
    return str(path)


def record(camera: str, tmp: Path, start: datetime, pictures: list[str]) -> list[datetime]:
    """Upload and register each picture's segment in turn (the order segments arrive in); their starts."""
    starts = []
    for i, picture in enumerate(pictures):
        at = start + timedelta(seconds=SEG_S * i)
        key = segment_key(camera, at, "mp4")
        rs.upload(key, make(tmp / f"{i:02d}.mp4", picture, t0=SEG_S * i))
        assert rs.deliver({key}) == {"batchItemFailures": []}
        starts.append(at)
    return starts


def tamper_alerts(camera: str) -> list[dict[str, Any]]:
    with db.transaction() as conn:
        return conn.execute(
            "SELECT detail, captured_at, resolved_at, status FROM alerts WHERE kind = 'camera_tampered'"
            " AND camera_id = %s ORDER BY created_at",
            (camera,),
        ).fetchall()


def test_covered_defocused_and_moved_are_raised_on_the_second_segment_and_resolve(world, tmp_path) -> None:
    camera = str(world.camera()["id"])
    start = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)
    # Given a camera recording its scene (its first view becomes the reference)
    pictures = ["scene", "scene"]
    # When the picture goes black, blurred and moved — two segments each, the scene back in between
    for fault in ("black", "blurred", "moved"):
        pictures += [fault, fault, "scene"]
    starts = record(camera, tmp_path, start, pictures)

    # Then three incidents, one per fault, with its reason, raised on the fault's second segment, all resolved
    alerts = tamper_alerts(camera)
    assert [a["detail"]["reason"] for a in alerts] == ["covered", "defocused", "moved"]
    assert [a["captured_at"] for a in alerts] == [starts[3], starts[6], starts[9]]
    assert all(a["resolved_at"] is not None for a in alerts)
    assert all(a["detail"]["priority"] == "high" for a in alerts)
    # and the city's managers see them
    listed = world.api.call("GET", "/v1/alerts", token=world.manager_a, query={"limit": "500"}).json()["items"]
    assert sum(1 for a in listed if a["kind"] == "camera_tampered" and a["camera_id"] == camera) == 3


def test_a_synthetic_dusk_raises_nothing(world, tmp_path) -> None:
    # Given testsrc2 fading from full brightness to 20 % over ten minutes (a segment per minute of the fade)
    camera = str(world.camera()["id"])
    fade = [round(1.0 - 0.8 * i / 10, 2) for i in range(11)]
    record(camera, tmp_path, datetime(2026, 11, 25, 18, 0, tzinfo=UTC), [f"dusk:{f}" for f in fade])

    # Then no tamper alarm, and the camera is not even suspect
    assert tamper_alerts(camera) == []
    with db.transaction() as conn:
        view = conn.execute(
            "SELECT suspect_count, last_mean FROM camera_views WHERE camera_id = %s", (camera,)
        ).fetchone()
    assert view["suspect_count"] == 0 and view["last_mean"] < 30  # the last segment is dark indeed


def test_a_manager_takes_the_current_view_as_reference(world, tmp_path) -> None:
    camera = str(world.camera()["id"])
    path = f"/v1/cameras/{camera}/reference-view"
    # Before any recording there is no view to take
    r = world.api.call("POST", path, token=world.manager_a)
    assert r.status == 409 and r.json()["error"]["code"] == "no_recorded_view"
    # Given a camera turned on purpose: its new scene alarms as moved
    start = datetime(2026, 11, 25, 20, 0, tzinfo=UTC)
    record(camera, tmp_path, start, ["scene", "moved", "moved"])
    assert [a["resolved_at"] for a in tamper_alerts(camera)] == [None]

    # When a viewer tries, Then 403; When a manager takes the current view as reference
    assert world.api.call("POST", path, token=world.viewer_a).status == 403
    r = world.api.call("POST", path, token=world.manager_a)
    assert r.status == 200, r.text
    body = r.json()
    assert body["source"] == "manager" and body["taken_at"].startswith("2026-11-25T20:00:04")
    assert body["thumbnail_url"]

    # Then the incident ends, and the new scene no longer alarms
    assert tamper_alerts(camera)[0]["resolved_at"] is not None
    record(camera, tmp_path, start + timedelta(seconds=6), ["moved", "moved"])
    assert len(tamper_alerts(camera)) == 1
    # and another city's manager cannot touch it
    assert world.api.call("POST", path, token=world.manager_b).status == 404


def test_after_every_migration_camera_tampered_is_a_kind_with_one_open_incident_per_camera(world) -> None:
    # 0032 adds the kind and the partial unique index; 0085 and 0099 restate the kinds later: the last word
    # must still allow it, and the index must still stand
    camera = str(world.camera()["id"])
    with db.transaction() as conn:
        definition = conn.execute(
            "SELECT pg_get_constraintdef(oid) AS d FROM pg_constraint WHERE conname = 'alerts_kind_check'"
        ).fetchone()["d"]
        index = conn.execute(
            "SELECT i.indisvalid, pg_get_expr(i.indpred, i.indrelid) AS pred FROM pg_index i"
            " JOIN pg_class c ON c.oid = i.indexrelid WHERE c.relname = 'alerts_tamper_open_uq'"
        ).fetchone()
    assert "camera_tampered" in definition
    assert index is not None and index["indisvalid"] and "camera_tampered" in index["pred"]
    insert = (
        "INSERT INTO alerts (city_id, camera_id, kind, dedup_key, captured_at, detail)"
        " VALUES (%s, %s, 'camera_tampered', %s, now(), '{}'::jsonb)"
    )
    with db.transaction() as conn:
        conn.execute(insert, (world.city_a, camera, f"tamper:{camera}:1"))
    try:
        with db.transaction() as conn:
            conn.execute(insert, (world.city_a, camera, f"tamper:{camera}:2"))
    except psycopg.errors.UniqueViolation as exc:
        assert "alerts_tamper_open_uq" in str(exc), exc
    else:
        raise AssertionError("a second open camera_tampered alert of one camera was accepted")
