"""Two-tier recording: a camera's main stream and its sub-stream (keys `recordings/{id}_sub/…`) registered as the
same camera; the timeline shows either; playback plays `main`, `sub` or `best` (main where it exists, sub in its
gaps — checked by ffmpeg's framemd5 of each segment the playlist serves); retention keeps main for the city's
`full_quality_days` and sub for its `retention_days`; a clip across the boundary works and says which part came
from which stream; MediaMTX gets the `{id}_sub` path with the camera.
"""

from __future__ import annotations

import json
import urllib.request
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import recording_support as rs
from mediamtx_standin import FakeMediaMTX, fake, spec  # noqa: F401 - fixtures reused as they are
from utils import iso

from gtvision.core import aws
from gtvision.core.settings import get_settings
from gtvision.media import ffmpeg
from gtvision.media.clipping import SegmentSource
from gtvision.recordings.service import segment_key
from gtvision_local.testmedia import make_segments

T0 = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)


def _framemd5(url_or_path: str) -> list[str]:
    proc = ffmpeg.run_ffmpeg(["-i", url_or_path, "-map", "0:v:0", "-f", "framemd5", "-"], timeout=60)
    return [line.rsplit(",", 1)[1].strip() for line in proc.stdout.splitlines() if line and not line.startswith("#")]


def _record(camera: str, segs: list[SegmentSource], quality: str, skip: tuple[int, ...] = ()) -> list[str]:
    keys = []
    for i, seg in enumerate(segs):
        if i in skip:
            continue
        key = segment_key(camera, seg.start, "ts", quality)  # type: ignore[arg-type]
        rs.upload(key, seg.url_or_path)
        keys.append(key)
    assert rs.deliver(set(keys)) == {"batchItemFailures": []}
    return keys


@pytest.fixture()
def two_tier(world, tmp_path: Path) -> dict[str, Any]:
    """Given a camera whose main stream (640x360) missed 4–6 s of 8 s and whose sub-stream (320x180) has it all."""
    camera = str(world.camera()["id"])
    main = make_segments(str(tmp_path / "main"), 4, 2, start=T0, fmt="ts", size="640x360")
    sub = make_segments(str(tmp_path / "sub"), 4, 2, start=T0, fmt="ts", size="320x180")
    _record(camera, main, "main", skip=(2,))
    _record(camera, sub, "sub")
    return {"world": world, "camera": camera, "main": main, "sub": sub}


def test_segments_of_both_qualities_register_as_the_same_camera(two_tier) -> None:
    rows = rs.segment_rows(two_tier["camera"])
    assert sorted((r["start_at"], r["quality"]) for r in rows) == sorted(
        [(T0 + timedelta(seconds=s), "main") for s in (0, 2, 6)]
        + [(T0 + timedelta(seconds=s), "sub") for s in (0, 2, 4, 6)]
    )
    subs = [r for r in rows if r["quality"] == "sub"]
    assert all(r["s3_key"].startswith(f"recordings/{two_tier['camera']}_sub/") for r in subs)
    assert all((r["width"], r["height"]) == (320, 180) for r in subs)


def test_the_timeline_is_one_span_whatever_the_quality(two_tier) -> None:
    world, camera = two_tier["world"], two_tier["camera"]
    r = world.api.call(
        "GET",
        f"/v1/cameras/{camera}/timeline",
        token=world.viewer_a,
        query={"from": iso(T0), "to": iso(T0 + timedelta(seconds=8))},
    )
    assert r.status == 200, r.text
    body = r.json()
    assert body["spans"] == [{"start": iso(T0), "end": iso(T0 + timedelta(seconds=8))}]
    assert body["gaps"] == [] and body["coverage"] == 1.0


def _playlist(world: Any, camera: str, quality: str | None) -> list[str]:
    query = {"from": iso(T0), "to": iso(T0 + timedelta(seconds=8))}
    if quality:
        query["quality"] = quality
    r = world.api.call("GET", f"/v1/cameras/{camera}/playback.m3u8", token=world.viewer_a, query=query)
    assert r.status == 200, r.text
    return [line for line in r.text.splitlines() if line and not line.startswith("#")]


def test_best_plays_main_where_it_exists_and_the_sub_stream_in_its_gap(two_tier) -> None:
    world, camera, main, sub = two_tier["world"], two_tier["camera"], two_tier["main"], two_tier["sub"]
    # best (the default): main, main, sub (main's gap), main — every frame as recorded
    urls = _playlist(world, camera, None)
    assert _playlist(world, camera, "best") == urls
    expected = [main[0], main[1], sub[2], main[3]]
    assert [_framemd5(u) for u in urls] == [_framemd5(s.url_or_path) for s in expected]
    # main alone has the gap; sub alone is the whole sub-stream
    assert [_framemd5(u) for u in _playlist(world, camera, "main")] == [
        _framemd5(main[i].url_or_path) for i in (0, 1, 3)
    ]
    assert [_framemd5(u) for u in _playlist(world, camera, "sub")] == [_framemd5(s.url_or_path) for s in sub]
    bad = world.api.call(
        "GET",
        f"/v1/cameras/{camera}/playback.m3u8",
        token=world.viewer_a,
        query={"from": iso(T0), "to": iso(T0 + timedelta(seconds=8)), "quality": "4k"},
    )
    assert bad.status == 422 and bad.json()["error"]["code"] == "invalid_quality"


def test_thumbnails_are_main_with_the_sub_stream_in_the_gap(two_tier) -> None:
    world, camera = two_tier["world"], two_tier["camera"]
    r = world.api.call(
        "GET",
        f"/v1/cameras/{camera}/thumbnails",
        token=world.viewer_a,
        query={"from": iso(T0), "to": iso(T0 + timedelta(seconds=8))},
    )
    assert [i["at"] for i in r.json()["items"]] == [iso(T0 + timedelta(seconds=s)) for s in (0, 2, 4, 6)]
    assert f"/thumbnails/{camera}_sub/" in r.json()["items"][2]["url"]


def test_a_clip_across_the_boundary_works_and_says_which_part_is_sub(two_tier, tmp_path: Path) -> None:
    from gtvision.clips import worker

    world, camera = two_tier["world"], two_tier["camera"]
    # When a clip from 1 s to 7 s is asked: main for 1–4 s, the sub-stream for 4–6 s, main again for 6–7 s
    r = world.api.call(
        "POST",
        "/v1/clips",
        {
            "camera_id": camera,
            "start": iso(T0 + timedelta(seconds=1)),
            "end": iso(T0 + timedelta(seconds=7)),
            "mode": "exact",
        },
        world.manager_a,
    )
    assert r.status == 202, r.text
    clip_id = r.json()["id"]
    assert worker.process(clip_id, 120) == "ready"

    # Then it plays the 6 s asked, at the main stream's size
    out = world.api.call("GET", f"/v1/clips/{clip_id}", token=world.manager_a).json()
    local = tmp_path / "clip.mp4"
    local.write_bytes(urllib.request.urlopen(out["download_url"], timeout=30).read())  # noqa: S310 - local emulator
    assert len(_framemd5(str(local))) == 6 * 25
    assert out["duration_s"] == pytest.approx(6.0, abs=0.05)
    # And its manifest says which part came from which stream
    manifest = json.loads(urllib.request.urlopen(out["manifest_url"], timeout=30).read())  # noqa: S310
    assert [s["quality"] for s in manifest["sources"]] == ["main", "main", "sub", "main"]
    assert manifest["clip"]["qualities"] == ["main", "sub"]


def test_retention_deletes_main_after_full_quality_days_and_sub_after_retention_days(world, tmp_path) -> None:
    from gtvision.retention import service as retention

    # Given a 30-day city that keeps full quality 7 days
    r = world.api.call(
        "PATCH", f"/v1/cities/{world.city_a}", {"retention_days": 30, "full_quality_days": 7}, world.admin
    )
    assert r.status == 200 and r.json()["full_quality_days"] == 7, r.text
    camera = str(world.camera()["id"])
    # and main + sub recorded 10 days ago and yesterday
    now = datetime.now(UTC).replace(microsecond=0)
    for when in (now - timedelta(days=10), now - timedelta(days=1)):
        segs = make_segments(str(tmp_path / f"{when:%d}"), 1, 2, start=when, fmt="ts")
        _record(camera, segs, "main")
        _record(camera, segs, "sub")

    retention.run()

    # Then the 10-day-old main segment is gone (row and objects), its sub-stream kept; yesterday's both kept
    rows = {(r["start_at"].date(), r["quality"]) for r in rs.segment_rows(camera)}
    old, new = (now - timedelta(days=10)).date(), (now - timedelta(days=1)).date()
    assert rows == {(old, "sub"), (new, "main"), (new, "sub")}
    listing = aws.client("s3").list_objects_v2(Bucket=rs.bucket(), Prefix=f"recordings/{camera}/")
    assert len(listing.get("Contents", [])) == 1


def test_city_full_quality_days_defaults_to_the_plan_and_is_at_most_it(world) -> None:
    city = world.api.call("GET", f"/v1/cities/{world.city_b}", token=world.admin).json()
    assert city["full_quality_days"] == city["retention_days"] == 7
    r = world.api.call("PATCH", f"/v1/cities/{world.city_b}", {"full_quality_days": 15}, world.admin)
    assert r.status == 422 and r.json()["error"]["code"] == "invalid_full_quality_days"


def test_the_sub_stream_path_starts_and_stops_with_the_camera(world, fake: FakeMediaMTX, monkeypatch) -> None:  # noqa: F811
    monkeypatch.setenv("GTV_MEDIAMTX_API_URL", fake.url)
    get_settings.cache_clear()
    try:
        cam = world.camera(
            source_url="rtsp://operador:s3nh@192.168.10.20:554/stream1",
            substream_url="rtsp://192.168.10.20:554/stream2",
        )
        assert cam["substream_url"] == "rtsp://192.168.10.20:554/stream2"
        r = world.api.call("POST", f"/v1/cameras/{cam['id']}/stream/start", token=world.manager_a)
        assert r.status == 200, r.text
        sub_path = f"{cam['id']}_sub"
        assert fake.confs[sub_path]["source"] == "rtsp://operador:s3nh@192.168.10.20:554/stream2"
        assert fake.confs[sub_path]["record"] is True
        assert r.json()["urls"]["sub"]["hls"].endswith(f"/{sub_path}/index.m3u8") and "s3nh" not in r.text
        world.api.call("POST", f"/v1/cameras/{cam['id']}/stream/stop", token=world.manager_a)
        assert cam["id"] not in fake.confs and sub_path not in fake.confs
        bad = world.api.call(
            "PATCH", f"/v1/cameras/{cam['id']}", {"substream_url": "rtsp://127.0.0.1/x"}, world.manager_a
        )
        assert bad.status == 422
    finally:
        monkeypatch.undo()
        get_settings.cache_clear()
