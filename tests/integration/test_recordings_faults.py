"""Faults of segment registration: real ffmpeg hung or killed, corrupt media, overwritten keys.

ffmpeg is wrapped by a tiny shell script (GTV_FFMPEG) that stops or kills itself on its first run — the
real binary does the work on every other run — so the fault hits `run_ffmpeg` exactly as a hung or
OOM-killed ffmpeg would, while the events come from the emulator's real S3→SQS notifications.
"""

from __future__ import annotations

import stat
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import recording_support as rs

from gtvision.core import aws, db
from gtvision.core.settings import get_settings
from gtvision.media import ffmpeg
from gtvision.recordings.service import segment_key
from gtvision_local.testmedia import make_segments, make_video


class Context:
    """A Lambda context with `remaining_s` of the invocation left."""

    function_name = "SegmentUploadFunction"
    memory_limit_in_mb = 1024
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:SegmentUploadFunction"
    aws_request_id = "req-segment-fault"

    def __init__(self, remaining_s: float) -> None:
        self.remaining_s = remaining_s

    def get_remaining_time_in_millis(self) -> int:
        return int(self.remaining_s * 1000)


@pytest.fixture()
def camera(world) -> str:
    return str(world.camera()["id"])


@pytest.fixture()
def fast_retries(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("GTV_RETRY_BASE_S", "1")
    get_settings.cache_clear()
    yield
    monkeypatch.delenv("GTV_RETRY_BASE_S")
    get_settings.cache_clear()


def faulty_ffmpeg(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, signal: str) -> Path:
    """Make the next ffmpeg run receive `signal` (STOP: hangs; KILL: dies); later runs are the real ffmpeg."""
    marker = tmp_path / "ffmpeg-faulted"
    script = tmp_path / "ffmpeg"
    script.write_text(
        f'#!/bin/sh\nif mkdir "{marker}" 2>/dev/null; then kill -{signal} $$; fi\nexec "{ffmpeg.ffmpeg_exe()}" "$@"\n'
    )
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    monkeypatch.setenv("GTV_FFMPEG", str(script))
    return marker


def failed_ids(result: dict[str, list[dict[str, str]]]) -> set[str]:
    return {f["itemIdentifier"] for f in result["batchItemFailures"]}


@pytest.mark.parametrize("signal", ["KILL", "STOP"])
def test_killed_or_hung_ffmpeg_on_a_valid_segment_is_retried_and_registered(
    camera, tmp_path, monkeypatch, fast_retries, signal
) -> None:
    # Given a valid MPEG-TS segment, and an ffmpeg whose first run is killed (KILL) or hangs (STOP)
    start = datetime(2026, 11, 21, 10 if signal == "KILL" else 11, 0, tzinfo=UTC)
    (seg,) = make_segments(str(tmp_path), 1, 2, start=start, fmt="ts")
    key = segment_key(camera, start, "ts")
    rs.upload(key, seg.url_or_path)
    marker = faulty_ffmpeg(tmp_path, monkeypatch, signal)

    # When its event is handled with 26 s of the invocation left (6 s of ffmpeg budget)
    event = rs.receive_events({key})
    started = time.monotonic()
    first = rs.invoke(event, Context(26))
    elapsed = time.monotonic() - started

    # Then the record is reported for retry — not rejected — within the invocation's time
    assert marker.exists(), "the fault was not injected"
    assert failed_ids(first) == {event["Records"][0]["messageId"]}
    assert elapsed < 26
    assert rs.rejections(key) == [] and rs.segment_rows(camera) == []

    # When SQS redelivers it (after the backoff, seconds) and ffmpeg behaves
    retry = rs.receive_events({key})
    assert int(retry["Records"][0]["attributes"]["ApproximateReceiveCount"]) == 2
    second = rs.invoke(retry, Context(26))
    rs.delete(retry)

    # Then it is registered once, with its real duration, and never rejected
    assert second == {"batchItemFailures": []}
    (row,) = rs.segment_rows(camera)
    assert row["duration_s"] == pytest.approx(2.0, abs=0.05) and row["sha256"] == ffmpeg.sha256_file(seg.url_or_path)
    assert rs.rejections(key) == []


def test_registration_ffmpeg_time_is_bounded_by_the_invocation(camera, tmp_path, monkeypatch, fast_retries) -> None:
    # Given an ffmpeg that hangs on every run
    start = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)
    (seg,) = make_segments(str(tmp_path), 1, 2, start=start, fmt="ts")
    key = segment_key(camera, start, "ts")
    rs.upload(key, seg.url_or_path)
    script = tmp_path / "ffmpeg"
    script.write_text("#!/bin/sh\nkill -STOP $$\n")
    script.chmod(0o755)
    monkeypatch.setenv("GTV_FFMPEG", str(script))
    event = rs.receive_events({key})

    # When the event is handled with 27 s left (7 s of ffmpeg budget; three ffmpeg runs would need more)
    started = time.monotonic()
    result = rs.invoke(event, Context(27))
    elapsed = time.monotonic() - started

    # Then the registration gave up inside the invocation and the record is retried, not rejected
    assert failed_ids(result) == {event["Records"][0]["messageId"]}
    assert elapsed < 27
    assert rs.rejections(key) == []
    # and with less than the margin left, no registration is even started
    assert failed_ids(rs.invoke(event, Context(10))) == {event["Records"][0]["messageId"]}
    rs.delete(event)


def test_a_truly_corrupt_segment_is_rejected_once(camera, tmp_path) -> None:
    # Given bytes that are no media at a .ts key, and a truncated MP4 at a .mp4 key
    start = datetime(2026, 11, 21, 13, 0, tzinfo=UTC)
    junk = segment_key(camera, start, "ts")
    truncated = segment_key(camera, start.replace(minute=1), "mp4")
    rs.upload(junk, b"\x47" + b"nada de video aqui " * 2000)
    video = Path(make_video(str(tmp_path / "v.mp4"), 1, fmt="mp4")).read_bytes()
    rs.upload(truncated, video[: len(video) // 2])

    # When their events are handled
    result = rs.deliver({junk, truncated})

    # Then neither is retried: each has one rejection (one attempt) as unreadable media
    assert result == {"batchItemFailures": []}
    for key in (junk, truncated):
        (rejection,) = rs.rejections(key)
        assert (rejection["reason"], rejection["attempts"]) == ("unreadable_media", 1)
    assert rs.segment_rows(camera) == []


def _find(queue_url: str, wanted: Any, timeout: float = 15) -> list[dict[str, Any]]:
    """Receive until messages matching `wanted` show up; other tests' messages stay hidden meanwhile and are
    made visible again afterwards (else each receive could return the same ten of them)."""
    sqs = aws.client("sqs")
    got: list[dict[str, Any]] = []
    others: list[str] = []
    deadline = time.monotonic() + timeout
    try:
        while not got and time.monotonic() < deadline:
            received = sqs.receive_message(
                QueueUrl=queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=1, VisibilityTimeout=60
            ).get("Messages", [])
            got += [m for m in received if wanted(m)]
            others += [m["ReceiptHandle"] for m in received if not wanted(m)]
    finally:
        for handle in others:
            sqs.change_message_visibility(QueueUrl=queue_url, ReceiptHandle=handle, VisibilityTimeout=0)
    return got


def test_a_non_json_message_is_dead_lettered_not_deleted(camera) -> None:
    # Given a message on the segment queue that is no S3 notification
    queue = rs.segment_queue()
    sqs = aws.client("sqs")
    sqs.send_message(QueueUrl=queue.url, MessageBody="isto não é json")
    from gtvision_local import events

    (message,) = _find(queue.url, lambda m: m["Body"] == "isto não é json")

    # When the function handles it
    result = rs.invoke({"Records": [events.sqs_record(message, queue.arn)]})

    # Then it is failed (so SQS dead-letters it after its receives) and visible again at once
    assert failed_ids(result) == {message["MessageId"]}
    (again,) = _find(queue.url, lambda m: m["MessageId"] == message["MessageId"], timeout=5)
    sqs.delete_message(QueueUrl=queue.url, ReceiptHandle=again["ReceiptHandle"])


def test_an_overwritten_segment_is_re_registered_and_raises_one_recording_changed_alert(
    world, camera, tmp_path
) -> None:
    # Given a registered 2 s segment
    start = datetime(2026, 11, 21, 14, 0, tzinfo=UTC)
    key = segment_key(camera, start, "mp4")
    first = make_video(str(tmp_path / "a.mp4"), 2, fmt="fmp4")
    rs.upload(key, first)
    assert rs.deliver({key}) == {"batchItemFailures": []}
    (before,) = rs.segment_rows(camera)

    # When the same key is uploaded again with other content (3 s), and its event delivered twice
    second = make_video(str(tmp_path / "b.mp4"), 3, fmt="fmp4")
    rs.upload(key, second)
    event = rs.receive_events({key})
    results = [rs.invoke(event), rs.invoke(event)]
    rs.delete(event)

    # Then the index follows the object: its real duration, hash, size and ETag
    assert results == [{"batchItemFailures": []}] * 2
    (after,) = rs.segment_rows(camera)
    head = aws.client("s3").head_object(Bucket=rs.bucket(), Key=key)
    assert after["duration_s"] == pytest.approx(3.0, abs=0.05)
    assert after["sha256"] == ffmpeg.sha256_file(second) != before["sha256"]
    assert (after["size_bytes"], after["etag"]) == (head["ContentLength"], head["ETag"])
    # and exactly one recording_changed alert is open for the camera, naming both hashes
    with db.transaction() as conn:
        alerts = conn.execute(
            "SELECT * FROM alerts WHERE kind = 'recording_changed' AND camera_id = %s", (camera,)
        ).fetchall()
        audit = conn.execute(
            "SELECT * FROM audit_log WHERE action = 'recording.changed' AND resource = %s", (key,)
        ).fetchall()
    (alert,) = alerts
    assert alert["status"] == "open" and alert["plate"] is None and alert["captured_at"] == start
    assert (alert["detail"]["previous_sha256"], alert["detail"]["sha256"]) == (before["sha256"], after["sha256"])
    # and the audit trail keeps the previous hash
    (entry,) = audit
    assert entry["detail"]["previous_sha256"] == before["sha256"]
    # and the city's managers see it at /v1/alerts
    listed = world.api.call("GET", "/v1/alerts", token=world.manager_a).json()["items"]
    assert [a["kind"] for a in listed if a["id"] == str(alert["id"])] == ["recording_changed"]


def test_every_change_of_content_is_an_incident_also_back_to_content_seen_before(world, camera, tmp_path) -> None:
    # Given a registered segment A, and another content B for the same key
    start = datetime(2026, 11, 21, 14, 30, tzinfo=UTC)
    key = segment_key(camera, start, "mp4")
    a = make_video(str(tmp_path / "a.mp4"), 2, fmt="fmp4")
    b = make_video(str(tmp_path / "b.mp4"), 3, fmt="fmp4")
    rs.upload(key, a)
    assert rs.deliver({key}) == {"batchItemFailures": []}

    # When the key is overwritten A -> B -> A -> B, each upload's event handled (one delivered twice)
    for content in (b, a, b):
        rs.upload(key, content)
        event = rs.receive_events({key})
        assert [rs.invoke(event), rs.invoke(event)] == [{"batchItemFailures": []}] * 2
        rs.delete(event)

    # Then each of the three changes is its own alert (the 4th upload too, though B was seen before)
    with db.transaction() as conn:
        alerts = conn.execute(
            "SELECT detail FROM alerts WHERE kind = 'recording_changed' AND camera_id = %s ORDER BY created_at",
            (camera,),
        ).fetchall()
    sha_a, sha_b = ffmpeg.sha256_file(a), ffmpeg.sha256_file(b)
    assert [(x["detail"]["previous_sha256"], x["detail"]["sha256"]) for x in alerts] == [
        (sha_a, sha_b),
        (sha_b, sha_a),
        (sha_a, sha_b),
    ]
    (row,) = rs.segment_rows(camera)
    assert row["sha256"] == sha_b and row["revision"] == 3


def test_the_same_bytes_uploaded_again_are_no_change(camera, tmp_path) -> None:
    # Given a registered segment
    start = datetime(2026, 11, 21, 15, 0, tzinfo=UTC)
    key = segment_key(camera, start, "mp4")
    video = make_video(str(tmp_path / "a.mp4"), 1, fmt="fmp4")
    rs.upload(key, video)
    assert rs.deliver({key}) == {"batchItemFailures": []}

    # When the same bytes are uploaded again in a multipart upload (another ETag) and the event handled
    s3 = aws.client("s3")
    upload_id = s3.create_multipart_upload(Bucket=rs.bucket(), Key=key)["UploadId"]
    part = s3.upload_part(Bucket=rs.bucket(), Key=key, UploadId=upload_id, PartNumber=1, Body=Path(video).read_bytes())
    s3.complete_multipart_upload(
        Bucket=rs.bucket(),
        Key=key,
        UploadId=upload_id,
        MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": part["ETag"]}]},
    )
    assert rs.deliver({key}) == {"batchItemFailures": []}

    # Then nothing changed but the remembered ETag, and no alert opened
    (row,) = rs.segment_rows(camera)
    assert row["sha256"] == ffmpeg.sha256_file(video)
    assert row["etag"] == s3.head_object(Bucket=rs.bucket(), Key=key)["ETag"] and row["etag"].endswith('-1"')
    with db.transaction() as conn:
        alerts = conn.execute("SELECT 1 FROM alerts WHERE camera_id = %s", (camera,)).fetchall()
    assert alerts == []
