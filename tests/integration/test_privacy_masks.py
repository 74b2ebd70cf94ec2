"""Privacy masks: managers draw polygons per camera; the masked region is uniform in clips, exports and thumbnails,
and a manager may lift them for an export only with a reason (audited, in the custody trail)."""

from __future__ import annotations

import io
import tempfile
import zipfile
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from evidence_support import (
    Workers,
    fetch,
    gray_frames,
    iso,
    operator,
    region,
    register,
    scratch,
    spread,
    workers,
)
from utils import World

from gtvision.core import db
from gtvision.media import ffmpeg
from gtvision.privacy import service as privacy
from gtvision_local.testmedia import make_segments

__all__ = ["scratch", "workers"]
W, H = 320, 180
#: A rectangle mask over the left half's upper part: pixels well inside it, and a box well outside it.
MASK = [[0.05, 0.1], [0.45, 0.1], [0.45, 0.6], [0.05, 0.6]]
INSIDE = (30, 30, 130, 95)
OUTSIDE = (180, 20, 310, 170)


@pytest.fixture(scope="module")
def segment_files(tmp_path_factory: pytest.TempPathFactory) -> list[str]:
    return [s.url_or_path for s in make_segments(str(tmp_path_factory.mktemp("segs")), 2, 2.0, fmt="fmp4")]


@pytest.fixture()
def masked(world: World, segment_files: list[str]) -> dict[str, Any]:
    """Given: a camera with 4 s recorded an hour ago and one privacy mask."""
    start = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=1)
    camera = world.camera()
    register(camera, segment_files, start, 2.0)
    r = world.api.call(
        "PUT", f"/v1/cameras/{camera['id']}/privacy-masks", {"masks": [{"points": MASK}]}, world.manager_a
    )
    assert r.status == 200, r.text
    return {"camera": camera, "start": start}


def assert_masked(gray: bytes, masked_: bool = True) -> None:
    inside = region(gray, W, INSIDE)
    if masked_:
        assert spread(inside) < 2.0 and max(inside) < 40, "the masked region is uniform (and dark)"
    else:
        assert spread(inside) > 10, "the region shows the picture"
    assert spread(region(gray, W, OUTSIDE)) > 10, "the rest of the picture is untouched"


def test_masks_are_managed_by_managers_and_read_by_viewers(world: World, masked: dict[str, Any]) -> None:
    path = f"/v1/cameras/{masked['camera']['id']}/privacy-masks"
    got = world.api.call("GET", path, token=world.viewer_a)
    assert got.status == 200 and got.json()["masks"] == [{"points": MASK}]
    assert world.api.call("PUT", path, {"masks": []}, world.viewer_a).status == 403
    assert world.api.call("PUT", path, {"masks": []}, operator(world)).status == 403
    assert world.api.call("GET", path, token=world.manager_b).status == 404
    bad = {"masks": [{"points": [[0, 0], [1.5, 0], [0, 1]]}]}
    assert world.api.call("PUT", path, bad, world.manager_a).status == 422


def test_a_clip_of_a_masked_camera_has_the_region_uniform(
    world: World, masked: dict[str, Any], stack: dict[str, str], scratch: Path, tmp_path: Path
) -> None:
    from gtvision_local.runtime import Runtime
    from gtvision_local.template import load_template

    rt = Runtime(load_template(endpoint_url=stack["aws_endpoint"]), api_port=0)
    poller = next(p for p in rt.pollers if p.function.logical_id == "ClipWorkerFunction")
    poller.wait_seconds = 0
    start = masked["start"]
    body = {
        "camera_id": masked["camera"]["id"],
        "start": iso(start + timedelta(seconds=0.5)),
        "end": iso(start + timedelta(seconds=3)),
        "mode": "exact",
    }
    r = world.api.call("POST", "/v1/clips", body, world.manager_a)
    assert r.status == 202, r.text
    clip_id = r.json()["id"]
    for _ in range(20):
        clip = world.api.call("GET", f"/v1/clips/{clip_id}", token=world.manager_a).json()
        if clip["status"] in ("ready", "failed"):
            break
        poller.poll_once()
    assert clip["status"] == "ready", clip["error"]
    path = tmp_path / "clip.mp4"
    path.write_bytes(fetch(clip["download_url"]))
    assert ffmpeg.sha256_file(str(path)) == clip["sha256"]
    frames = gray_frames(str(path), W, H)
    assert frames
    for gray in (frames[0], frames[len(frames) // 2], frames[-1]):
        assert_masked(gray)


def _export_file(world: World, token: str, masked: dict[str, Any], workers: Workers, **extra: Any) -> bytes:
    r = world.api.call("POST", "/v1/cases", {"title": "Máscaras", "category": "interno"}, token)
    assert r.status == 201, r.text
    case_id = r.json()["id"]
    start = masked["start"]
    body = {
        "camera_ids": [masked["camera"]["id"]],
        "start": iso(start + timedelta(seconds=1)),
        "end": iso(start + timedelta(seconds=3)),
        **extra,
    }
    r = world.api.call("POST", f"/v1/cases/{case_id}/exports", body, token)
    assert r.status == 202, r.text
    path = f"/v1/cases/{case_id}/exports/{r.json()['id']}"
    workers.run_until(lambda: world.api.call("GET", path, token=token).json()["status"] in ("ready", "failed"))
    out = world.api.call("GET", path, token=token).json()
    assert out["status"] == "ready", out["error"]
    with zipfile.ZipFile(io.BytesIO(fetch(out["package_url"]))) as zf:
        (name,) = [n for n in zf.namelist() if n.endswith(".mp4")]
        return zf.read(name)


def test_an_export_burns_the_masks_in(world: World, masked: dict[str, Any], workers: Workers, tmp_path: Path) -> None:
    path = tmp_path / "part.mp4"
    path.write_bytes(_export_file(world, world.manager_a, masked, workers, timestamp_overlay=True))
    for gray in gray_frames(str(path), W, H)[::10]:
        assert_masked(gray)


def test_lifting_masks_needs_a_manager_and_a_reason_and_is_recorded(
    world: World, masked: dict[str, Any], workers: Workers, tmp_path: Path
) -> None:
    # An operator may not lift masks
    op = operator(world)
    r = world.api.call("POST", "/v1/cases", {"title": "Sem máscara", "category": "interno"}, op)
    body = {
        "camera_ids": [masked["camera"]["id"]],
        "start": iso(masked["start"]),
        "end": iso(masked["start"] + timedelta(seconds=2)),
        "lift_masks": {"reason": "ordem judicial nº 55"},
    }
    assert world.api.call("POST", f"/v1/cases/{r.json()['id']}/exports", body, op).status == 403
    # A manager may, with a reason: the picture is whole and the lifting is in custody and audit
    path = tmp_path / "part.mp4"
    path.write_bytes(
        _export_file(world, world.manager_a, masked, workers, lift_masks={"reason": "ordem judicial nº 55"})
    )
    assert_masked(gray_frames(str(path), W, H, count=1)[0], masked_=False)
    with db.transaction() as conn:
        custody = conn.execute(
            "SELECT detail FROM custody_events WHERE kind = 'masks.lifted' ORDER BY id DESC LIMIT 1"
        ).fetchone()
        audit = conn.execute(
            "SELECT detail FROM audit_log WHERE action = 'case.export' ORDER BY id DESC LIMIT 1"
        ).fetchone()
    assert custody["detail"]["reason"] == "ordem judicial nº 55"
    assert audit["detail"]["lift_masks_reason"] == "ordem judicial nº 55"


def test_a_thumbnail_gets_the_masks_with_one_call(masked: dict[str, Any], segment_files: list[str]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        thumb = str(Path(tmp) / "thumb.jpg")
        ffmpeg.thumbnail(segment_files[0], thumb, W, H)
        assert privacy.burn_image(masked["camera"]["id"], thumb) is True
        (gray,) = gray_frames(thumb, W, H)
    assert_masked(gray)
