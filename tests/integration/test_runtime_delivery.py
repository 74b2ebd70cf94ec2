"""The recording flow with the local runtime delivering the S3 events, as under `make run`.

The recording tests call the handler on real S3 events themselves; here the runtime's SQS poller for
SegmentUploadFunction delivers them: a duplicate upload registers once, a gap shows in the timeline and
the playlist decodes with ffmpeg to the recorded duration.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import recording_support as rs

from gtvision.media import ffmpeg
from gtvision.recordings.service import segment_key
from gtvision_local.testmedia import make_segments

T0 = datetime(2026, 11, 19, 8, 0, tzinfo=UTC)


def _z(t: datetime) -> str:
    return t.isoformat().replace("+00:00", "Z")


def test_runtime_delivers_uploads_duplicates_once_gap_in_timeline_playlist_decodes(world, tmp_path) -> None:
    from gtvision.core.settings import get_settings
    from gtvision_local.runtime import Runtime
    from gtvision_local.template import load_template

    # Given the runtime's poller for SegmentUploadFunction and a camera of city A
    runtime = Runtime(load_template(endpoint_url=get_settings().aws_endpoint_url))
    (poller,) = [p for p in runtime.pollers if p.function.logical_id == "SegmentUploadFunction"]
    camera = str(world.camera()["id"])

    # When two 2 s segments are uploaded with a 6 s gap between them, the first one twice
    segs = make_segments(str(tmp_path / "a"), 1, 2, start=T0, fmt="ts")
    segs += make_segments(str(tmp_path / "b"), 1, 2, start=T0 + timedelta(seconds=8), fmt="ts")
    for seg in [segs[0], *segs]:
        rs.upload(segment_key(camera, seg.start, "ts"), seg.url_or_path)
    for _ in range(20):  # the emulator sends one event per upload; drain them all
        if poller.poll_once() == 0 and len(rs.segment_rows(camera)) == 2:
            break

    # Then each segment is registered once
    assert [r["start_at"] for r in rs.segment_rows(camera)] == [T0, T0 + timedelta(seconds=8)]

    # and the timeline shows the two spans and the gap between them
    q = {"from": _z(T0), "to": _z(T0 + timedelta(seconds=10))}
    tl = world.api.call("GET", f"/v1/cameras/{camera}/timeline", token=world.viewer_a, query=q).json()
    assert tl["segments"] == 2
    assert tl["gaps"] == [{"start": _z(T0 + timedelta(seconds=2)), "end": _z(T0 + timedelta(seconds=8))}]

    # and the playlist plays every recorded frame with ffmpeg (2 × 2 s at 25 fps)
    r = world.api.call("GET", f"/v1/cameras/{camera}/playback.m3u8", token=world.viewer_a, query=q)
    assert r.status == 200, r.text
    playlist = tmp_path / "p.m3u8"
    playlist.write_text(r.text)
    proc = ffmpeg.run_ffmpeg(["-i", str(playlist), "-map", "0:v:0", "-f", "null", "-"], timeout=60)
    assert int(re.findall(r"frame=\s*(\d+)", proc.stderr)[-1]) == 2 * 2 * 25
