"""Progressive MP4 recordings play: a fragmented rendition (stream copy) beside the untouched original.

Real segments made with lavfi, uploaded to moto, registered by SegmentUploadFunction from their real S3
events; playback decoded by ffmpeg frame for frame; retention and legal holds over both objects.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import recording_support as rs
from utils import iso

from gtvision.core import aws, db
from gtvision.media import ffmpeg, isobmff
from gtvision.recordings.service import segment_key
from gtvision_local.testmedia import make_segments

FPS = 25


def frame_hashes(source: str) -> list[str]:
    """MD5 of every decoded video frame, in presentation order (ffmpeg's framemd5 muxer)."""
    proc = ffmpeg.run_ffmpeg(["-i", source, "-map", "0:v:0", "-f", "framemd5", "-"], timeout=120)
    return [line.rsplit(",", 1)[1].strip() for line in proc.stdout.splitlines() if line and not line.startswith("#")]


def tags(key: str) -> list[dict[str, str]]:
    return list(aws.client("s3").get_object_tagging(Bucket=rs.bucket(), Key=key)["TagSet"])


def exists(key: str) -> bool:
    listing = aws.client("s3").list_objects_v2(Bucket=rs.bucket(), Prefix=key)
    return any(o["Key"] == key for o in listing.get("Contents", []))


@pytest.fixture()
def progressive(world: Any, tmp_path: Path) -> dict[str, Any]:
    """Given two contiguous 2 s progressive MP4 segments (`-movflags +faststart`, as NVRs write them)
    followed by one MPEG-TS segment, uploaded and registered."""
    camera = world.camera()
    # nine days ago: past city A's 7-day plan, so a real retention run expires it
    start = datetime.now(UTC).replace(microsecond=0) - timedelta(days=9)
    segs = make_segments(str(tmp_path / "mp4"), 2, 2, start=start, fps=FPS, gop=FPS, fmt="mp4")
    segs += make_segments(str(tmp_path / "ts"), 1, 2, start=start + timedelta(seconds=4), fps=FPS, gop=FPS, fmt="ts")
    keys = [segment_key(str(camera["id"]), s.start, "ts" if s.url_or_path.endswith(".ts") else "mp4") for s in segs]
    for seg, key in zip(segs, keys, strict=True):
        rs.upload(key, seg.url_or_path)
    assert rs.deliver(set(keys)) == {"batchItemFailures": []}
    return {"world": world, "camera": camera, "start": start, "segs": segs, "keys": keys}


def test_progressive_mp4_plays_frame_for_frame_and_the_original_stays_the_evidence(progressive, tmp_path) -> None:
    world, camera, segs, keys = (progressive[k] for k in ("world", "camera", "segs", "keys"))
    rows = rs.segment_rows(str(camera["id"]))
    assert [r["s3_key"] for r in rows] == keys
    s3 = aws.client("s3")
    for row, seg in zip(rows[:2], segs[:2], strict=True):
        # The original is registered as it was uploaded: progressive, its own bytes and hash, untouched
        original = Path(seg.url_or_path).read_bytes()
        stored = s3.get_object(Bucket=rs.bucket(), Key=row["s3_key"])["Body"].read()
        assert row["container"] == "mp4" and stored == original
        assert row["sha256"] == ffmpeg.sha256_file(seg.url_or_path) and row["size_bytes"] == len(original)
        assert not isobmff.probe(seg.url_or_path).fragmented
        # and an MPEG-TS rendition of it sits under playable/, tagged with the same plan
        assert row["play_key"] == row["s3_key"].replace("recordings/", "playable/", 1)[: -len("mp4")] + "ts"
        copy = tmp_path / "copy.ts"
        copy.write_bytes(s3.get_object(Bucket=rs.bucket(), Key=row["play_key"])["Body"].read())
        assert isobmff.probe(str(copy)).container == "ts" and row["play_size_bytes"] == copy.stat().st_size
        assert ffmpeg.start_time(str(copy)) == pytest.approx(ffmpeg.start_time(seg.url_or_path), abs=1e-3)
        assert tags(row["play_key"]) == tags(row["s3_key"]) == [{"Key": "retention-days", "Value": "7"}]
        assert rs.rejections(row["play_key"]) == []  # not an upload: outside the notification's prefix
        # the same compressed frames, not a re-encode
        assert frame_hashes(str(copy)) == frame_hashes(seg.url_or_path)
    assert rows[2]["container"] == "ts" and rows[2]["play_key"] is None

    # When the playback playlist of the range is asked
    start = progressive["start"]
    r = world.api.call(
        "GET",
        f"/v1/cameras/{camera['id']}/playback.m3u8",
        token=world.viewer_a,
        query={"from": iso(start - timedelta(minutes=1)), "to": iso(start + timedelta(minutes=1))},
    )
    assert r.status == 200, r.text
    # Then it serves the renditions (never the progressive originals) and the TS segment as it is
    assert r.text.count("#EXTINF:") == 3 and "/playable/" in r.text
    for row in rows[:2]:
        assert row["play_key"] in r.text and row["s3_key"] + "?" not in r.text
    # and ffmpeg plays it over HTTP from storage: every recorded frame, identical, in order
    playlist = tmp_path / "playback.m3u8"
    playlist.write_text(r.text)
    expected = [h for seg in segs for h in frame_hashes(seg.url_or_path)]
    assert len(expected) == 3 * 2 * FPS
    assert frame_hashes(str(playlist)) == expected


def test_a_hold_covers_the_rendition_and_retention_deletes_both(progressive, database_url) -> None:
    from gtvision.retention import service as retention

    world, camera = progressive["world"], progressive["camera"]
    rows = rs.segment_rows(str(camera["id"]))
    first = rows[0]
    # Given a clip cut from the first (progressive) segment, as the clip worker records it
    with db.transaction() as conn:
        clip = conn.execute(
            "INSERT INTO clips (camera_id, city_id, start_at, end_at, status) VALUES (%s, %s, %s, %s, 'ready')"
            " RETURNING id",
            (camera["id"], camera["city_id"], first["start_at"], first["end_at"]),
        ).fetchone()
        conn.execute(
            "INSERT INTO clip_segments (clip_id, camera_id, segment_start) VALUES (%s, %s, %s)",
            (clip["id"], camera["id"], first["start_at"]),
        )
    # When it is put under legal hold, the original, its thumbnail and its rendition all leave the lifecycle net
    r = world.api.call("POST", f"/v1/clips/{clip['id']}/hold", {"reason": "inquérito 42/2026"}, world.manager_a)
    assert r.status == 200, r.text
    for key in (first["s3_key"], first["thumb_key"], first["play_key"]):
        assert tags(key) == [{"Key": "retention-days", "Value": "held"}]
    # and lifting it puts them all back on the city's plan
    r = world.api.call("DELETE", f"/v1/clips/{clip['id']}/hold", token=world.manager_a)
    assert r.status == 200, r.text
    for key in (first["s3_key"], first["thumb_key"], first["play_key"]):
        assert tags(key) == [{"Key": "retention-days", "Value": "7"}]

    # When retention runs (the recording is older than the city's 7 days)
    report = retention.run()
    # Then the rows and every object of them are gone: originals, thumbnails and renditions together
    assert report.cities[str(camera["city_id"])].segments_deleted >= 3
    assert rs.segment_rows(str(camera["id"])) == []
    for row in rows:
        for key in (row["s3_key"], row["thumb_key"], row["play_key"]):
            if key:
                assert not exists(key), key
