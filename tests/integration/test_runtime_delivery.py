"""The recording flow with the local runtime delivering the S3 events, as under `make run`.

The recording tests call the handler on real S3 events themselves; here the runtime's SQS poller for
SegmentUploadFunction delivers them: a duplicate upload registers once, a gap shows in the timeline and
the playlist decodes with ffmpeg to the recorded duration; a hung registration holds only its own batch.
"""

from __future__ import annotations

import re
import threading
import time
from datetime import UTC, datetime, timedelta
from typing import Any

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


def test_a_hung_registration_holds_its_own_batch_not_the_queue(world, tmp_path, monkeypatch) -> None:
    """Fault: one registration hangs (an ffmpeg that never returns); the next upload must not wait for it."""
    from gtvision.core import aws
    from gtvision.core.settings import get_settings
    from gtvision.recordings import register as recordings
    from gtvision_local.runtime import Runtime
    from gtvision_local.template import load_template

    # Given the runtime's poller for SegmentUploadFunction running, as under `make run`
    runtime = Runtime(load_template(endpoint_url=get_settings().aws_endpoint_url))
    (poller,) = [p for p in runtime.pollers if p.function.logical_id == "SegmentUploadFunction"]
    assert poller.concurrency == 20  # the template's ScalingConfig.MaximumConcurrency
    sqs = aws.client("sqs")
    while got := sqs.receive_message(QueueUrl=poller.queue.url, MaxNumberOfMessages=10).get("Messages", []):
        for message in got:  # other tests' events are not this test's business
            sqs.delete_message(QueueUrl=poller.queue.url, ReceiptHandle=message["ReceiptHandle"])
    camera = str(world.camera()["id"])
    first, second = make_segments(str(tmp_path / "a"), 2, 2, start=T0 + timedelta(hours=1), fmt="ts")
    hung_key = segment_key(camera, first.start, "ts")
    entered, release = threading.Event(), threading.Event()
    register = recordings.register_upload

    def hanging_register(bucket: str, key: str, **kwargs: Any) -> Any:
        if key == hung_key:
            entered.set()
            release.wait(120)  # as an ffmpeg stopped with SIGSTOP: nothing comes back until released
        return register(bucket, key, **kwargs)

    monkeypatch.setattr(recordings, "register_upload", hanging_register)
    stop = threading.Event()
    thread = threading.Thread(target=poller.run, args=(stop,), daemon=True)
    thread.start()
    try:
        rs.upload(hung_key, first.url_or_path)
        assert entered.wait(30), "the first upload never reached the function"

        # When a second segment is uploaded while the first one's registration hangs
        rs.upload(segment_key(camera, second.start, "ts"), second.url_or_path)

        # Then the second one is registered while the first still hangs
        deadline = time.monotonic() + 20
        while [r["start_at"] for r in rs.segment_rows(camera)] != [second.start]:
            assert time.monotonic() < deadline, "the second upload waited behind the hung one"
            time.sleep(0.2)
        assert not release.is_set()
    finally:
        release.set()
        stop.set()
        thread.join(60)

    # and once the hang ends, the first one is registered too
    assert [r["start_at"] for r in rs.segment_rows(camera)] == [first.start, second.start]
