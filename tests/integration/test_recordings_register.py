"""SegmentUploadFunction: real video uploaded to the emulator, its real S3 events from SQS, rows in PostgreSQL."""

from __future__ import annotations

import json
import time
import uuid
from datetime import UTC, datetime, timedelta

import pytest
import recording_support as rs

from gtvision.core import aws
from gtvision.media import ffmpeg, isobmff
from gtvision.recordings.service import segment_key
from gtvision_local.testmedia import make_segments, make_video


@pytest.fixture()
def camera(world) -> str:
    return str(world.camera()["id"])


def test_segments_register_once_with_real_duration_sha_and_thumbnail(camera, tmp_path) -> None:
    # Given three 2 s MPEG-TS segments uploaded in reverse order (S3 events arrive in any order)
    start = datetime(2026, 11, 20, 10, 0, tzinfo=UTC)
    segs = make_segments(str(tmp_path), 3, 2, start=start, fmt="ts")
    keys = [segment_key(camera, s.start, "ts") for s in segs]
    for seg, key in reversed(list(zip(segs, keys, strict=True))):
        rs.upload(key, seg.url_or_path)

    # When the queued S3 events are handled, twice (a duplicated delivery)
    event = rs.receive_events(set(keys))
    first = rs.invoke(event)
    second = rs.invoke(event)
    rs.delete(event)

    # Then each segment is registered exactly once, nothing failed
    assert first == {"batchItemFailures": []} and second == {"batchItemFailures": []}
    rows = rs.segment_rows(camera)
    assert [r["s3_key"] for r in rows] == keys
    for row, seg in zip(rows, segs, strict=True):
        assert row["start_at"] == seg.start
        assert row["duration_s"] == pytest.approx(2.0, abs=0.05)
        assert row["end_at"] - row["start_at"] == timedelta(seconds=row["duration_s"])
        assert (row["video_codec"], row["width"], row["height"], row["container"]) == ("h264", 320, 180, "ts")
        assert row["sha256"] == ffmpeg.sha256_file(seg.url_or_path)
        assert row["size_bytes"] == len(open(seg.url_or_path, "rb").read())
        # and a 160x90 JPEG thumbnail sits under thumbnails/
        thumb = aws.client("s3").get_object(Bucket=rs.bucket(), Key=row["thumb_key"])["Body"].read()
        assert row["thumb_key"] == f"thumbnails/{camera}/{seg.start:%Y-%m-%d_%H-%M-%S-%f}.jpg"
        assert rs.jpeg_size(thumb) == (160, 90)
        # and both objects carry the city's plan for the bucket's lifecycle safety net
        for key in (row["s3_key"], row["thumb_key"]):
            tags = aws.client("s3").get_object_tagging(Bucket=rs.bucket(), Key=key)["TagSet"]
            assert tags == [{"Key": "retention-days", "Value": "7"}]


def test_fragmented_mp4_segment_keeps_its_init_section_size(camera, tmp_path) -> None:
    # Given a segment as MediaMTX records it (fMP4: ftyp + moov, then moof/mdat fragments)
    start = datetime(2026, 11, 20, 11, 0, tzinfo=UTC)
    path = make_video(str(tmp_path / "seg.mp4"), 2, fmt="fmp4")
    key = segment_key(camera, start, "mp4")
    rs.upload(key, path)

    # When its event is handled
    assert rs.deliver({key}) == {"batchItemFailures": []}

    # Then it is registered as fmp4 with the byte size of its initialization section
    (row,) = rs.segment_rows(camera)
    boxes = [(kind, offset) for kind, offset, _, _ in isobmff.top_level_boxes(isobmff.FileReader(path))]
    assert row["container"] == "fmp4"
    assert row["init_bytes"] == next(offset for kind, offset in boxes if kind == b"moof")
    assert row["duration_s"] == pytest.approx(2.0, abs=0.05)


def test_junk_uploads_are_rejected_and_left_in_place(camera, tmp_path, capsys) -> None:
    # Given: text at a valid key, video at a key outside the layout, video of a camera nobody registered
    video = make_video(str(tmp_path / "v.ts"), 1, fmt="ts")
    start = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
    not_video = segment_key(camera, start, "mp4")
    wrong_key = f"recordings/{camera}/ontem à tarde.mp4"
    unknown_camera = segment_key(str(uuid.uuid4()), start, "ts")
    bad_date = f"recordings/{camera}/2026-13-40_25-61-61-000000.ts"
    rs.upload(not_video, b"isto nao e um video")
    for key in (wrong_key, unknown_camera, bad_date):
        rs.upload(key, video)

    # When their events are handled (twice: S3 may deliver again)
    event = rs.receive_events({not_video, wrong_key, unknown_camera, bad_date})
    results = [rs.invoke(event), rs.invoke(event)]
    rs.delete(event)

    # Then no record failed (retrying cannot help), nothing was registered...
    assert results == [{"batchItemFailures": []}] * 2
    assert rs.segment_rows(camera) == []
    # ...each upload has one rejection with its reason, counted twice, and the object is still there
    expected = {
        not_video: "unreadable_media",
        wrong_key: "unparsable_key",
        unknown_camera: "unknown_camera",
        bad_date: "unparsable_key",
    }
    emitted = [json.loads(line) for line in capsys.readouterr().out.splitlines() if '"SegmentUploadsRejected"' in line]
    assert sorted(m["reason"] for m in emitted) == sorted(list(expected.values()) * 2)  # a metric per rejection
    for key, reason in expected.items():
        (rejection,) = rs.rejections(key)
        assert (rejection["reason"], rejection["attempts"]) == (reason, 2)
        assert aws.client("s3").head_object(Bucket=rs.bucket(), Key=key)["ContentLength"] > 0


def test_transient_failure_fails_only_its_record(camera, tmp_path) -> None:
    # Given one good upload and one event pointing at a bucket the storage cannot serve (storage error)
    start = datetime(2026, 11, 20, 13, 0, tzinfo=UTC)
    (seg,) = make_segments(str(tmp_path), 1, 2, start=start, fmt="ts")
    good = segment_key(camera, seg.start, "ts")
    rs.upload(good, seg.url_or_path)
    event = rs.receive_events({good})
    broken = dict(event["Records"][0])
    broken["messageId"] = "broken-1"
    broken["body"] = broken["body"].replace(f'"name": "{rs.bucket()}"', '"name": "gtvision-bucket-que-nao-existe"')
    assert "gtvision-bucket-que-nao-existe" in broken["body"]

    # When both are handled in one batch
    result = rs.invoke({"Records": [broken, *event["Records"]]})
    rs.delete(event)

    # Then only the broken record is reported for retry, and the good one is registered
    assert result == {"batchItemFailures": [{"itemIdentifier": "broken-1"}]}
    assert [r["s3_key"] for r in rs.segment_rows(camera)] == [good]


def test_s3_test_event_is_ignored() -> None:
    event = {"Records": [{**_record('{"Service":"Amazon S3","Event":"s3:TestEvent","Bucket":"b"}')}]}
    assert rs.invoke(event) == {"batchItemFailures": []}


def _record(body: str) -> dict[str, object]:
    return {
        "messageId": "test-event",
        "receiptHandle": "r",
        "body": body,
        "attributes": {},
        "messageAttributes": {},
        "md5OfBody": "",
        "eventSource": "aws:sqs",
        "eventSourceARN": rs.segment_queue().arn,
        "awsRegion": "us-east-1",
    }


def test_local_runtime_delivers_uploads_to_the_function(camera, tmp_path) -> None:
    from gtvision.core.settings import get_settings
    from gtvision_local.runtime import Runtime
    from gtvision_local.template import load_template

    # Given the local runtime's SQS poller for SegmentUploadFunction, as `gtvision local up` runs it
    runtime = Runtime(load_template(endpoint_url=get_settings().aws_endpoint_url))
    (poller,) = [p for p in runtime.pollers if p.function.logical_id == "SegmentUploadFunction"]
    start = datetime(2026, 11, 20, 14, 0, tzinfo=UTC)
    (seg,) = make_segments(str(tmp_path), 1, 2, start=start, fmt="ts")

    # When a segment is uploaded
    rs.upload(segment_key(camera, start, "ts"), seg.url_or_path)
    deadline = time.monotonic() + 60  # the queue may still hold other tests' notifications ahead of it
    while time.monotonic() < deadline:
        poller.poll_once()
        if rs.segment_rows(camera):
            break

    # Then the template's function registered it
    assert [r["start_at"] for r in rs.segment_rows(camera)] == [start]


def test_an_event_before_its_object_leaves_no_stale_rejection_once_the_segment_registers(camera, tmp_path) -> None:
    from gtvision_local import events

    # Given a notification that arrives before its object (a reordered or early event)
    start = datetime(2026, 11, 20, 13, 0, tzinfo=UTC)
    (seg,) = make_segments(str(tmp_path), 1, 2, start=start, fmt="ts")
    key = segment_key(camera, start, "ts")
    early = events.sqs_event([json.dumps(events.s3_event(rs.bucket(), key))], rs.segment_queue().arn)
    assert rs.invoke(early) == {"batchItemFailures": []}
    assert [r["reason"] for r in rs.rejections(key)] == ["object_missing"]

    # When the object arrives and its own event is handled
    rs.upload(key, seg.url_or_path)
    assert rs.deliver({key}) == {"batchItemFailures": []}

    # Then the segment is registered and the rejection that no longer holds is gone
    assert [r["s3_key"] for r in rs.segment_rows(camera)] == [key]
    assert rs.rejections(key) == []
