"""A full or read-only scratch never rejects a valid segment: the record is retried (after minutes in
production) and the segment registers once space is back. Only media that cannot be demuxed is rejected.

The scratch is a real tmpfs of a fixed size, filled so that the downloaded segment fits and nothing more:
ffmpeg's thumbnail write then fails with "No space left on device" exactly as it does in a full /tmp.
"""

from __future__ import annotations

import errno
import os
import tempfile
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
import recording_support as rs
from scratch_support import fill, small_scratch

from gtvision.core import retries
from gtvision.core.settings import get_settings
from gtvision.media import ffmpeg
from gtvision.recordings.service import segment_key
from gtvision_local.testmedia import make_segments


class Context:
    function_name = "SegmentUploadFunction"
    memory_limit_in_mb = 1024
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:SegmentUploadFunction"
    aws_request_id = "req-scratch-fault"

    def get_remaining_time_in_millis(self) -> int:
        return 100_000


@pytest.fixture()
def camera(world) -> str:
    return str(world.camera()["id"])


@pytest.fixture()
def quick_resource_retries(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("GTV_RETRY_RESOURCE_BASE_S", "1")
    get_settings.cache_clear()
    yield
    monkeypatch.delenv("GTV_RETRY_RESOURCE_BASE_S", raising=False)
    get_settings.cache_clear()


def _failed(result: dict[str, list[dict[str, str]]]) -> set[str]:
    return {f["itemIdentifier"] for f in result["batchItemFailures"]}


def test_a_full_scratch_retries_a_valid_segment_until_it_registers(
    camera, tmp_path, monkeypatch, quick_resource_retries
) -> None:
    # Given a valid segment uploaded, and a scratch where it fits with nothing to spare
    start = datetime(2026, 11, 22, 8, 0, tzinfo=UTC)
    (seg,) = make_segments(str(tmp_path), 1, 2, start=start, fmt="ts")
    key = segment_key(camera, start, "ts")
    rs.upload(key, seg.url_or_path)
    with small_scratch(8 << 20) as scratch:
        monkeypatch.setattr(tempfile, "tempdir", str(scratch))
        filler = fill(scratch, leave_free=os.path.getsize(seg.url_or_path))

        # When its event is handled
        event = rs.receive_events({key})
        first = rs.invoke(event, Context())

        # Then the record is retried, not rejected, and nothing is half-registered
        assert _failed(first) == {event["Records"][0]["messageId"]}
        assert rs.rejections(key) == [] and rs.segment_rows(camera) == []

        # When space is freed and SQS redelivers it (after the resource backoff)
        filler.unlink()
        retry = rs.receive_events({key})
        second = rs.invoke(retry, Context())
        rs.delete(retry)

    # Then the segment is registered once, with its real duration and hash, and never rejected
    assert second == {"batchItemFailures": []}
    (row,) = rs.segment_rows(camera)
    assert row["duration_s"] == pytest.approx(2.0, abs=0.05) and row["sha256"] == ffmpeg.sha256_file(seg.url_or_path)
    assert rs.rejections(key) == []


def test_a_read_only_scratch_is_retried_too(camera, tmp_path, monkeypatch, quick_resource_retries) -> None:
    start = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)
    (seg,) = make_segments(str(tmp_path), 1, 2, start=start, fmt="ts")
    key = segment_key(camera, start, "ts")
    rs.upload(key, seg.url_or_path)
    with small_scratch(8 << 20, read_only=True) as scratch, monkeypatch.context() as patched:
        patched.setattr(tempfile, "tempdir", str(scratch))
        event = rs.receive_events({key})
        result = rs.invoke(event, Context())
    assert _failed(result) == {event["Records"][0]["messageId"]}
    assert rs.rejections(key) == [] and rs.segment_rows(camera) == []
    retry = rs.receive_events({key})
    assert rs.invoke(retry, Context()) == {"batchItemFailures": []}
    rs.delete(retry)
    assert len(rs.segment_rows(camera)) == 1


def test_ffmpeg_out_of_space_is_a_resource_error_and_bad_bytes_are_bad_media(tmp_path) -> None:
    # Given a readable segment and a scratch with no room for a thumbnail
    (seg,) = make_segments(str(tmp_path), 1, 2, fmt="ts")
    with small_scratch(1 << 20) as scratch:
        fill(scratch, leave_free=0)
        with pytest.raises(ffmpeg.MediaResourceError) as full:
            ffmpeg.thumbnail(seg.url_or_path, str(scratch / "thumb.jpg"))
    # Then it is transient, retried after minutes, and says why in Portuguese
    assert full.value.errno == errno.ENOSPC and "sem espaço temporário" in full.value.message
    assert retries.classify(full.value) is retries.Failure.TRANSIENT and retries.resource_error(full.value)
    # And bytes no demuxer reads are bad media: rejected, not retried
    garbage = tmp_path / "garbage.ts"
    garbage.write_bytes(os.urandom(50_000))
    with pytest.raises(ffmpeg.MediaError) as bad:
        ffmpeg.thumbnail(str(garbage), str(tmp_path / "t.jpg"))
    assert retries.classify(bad.value) is retries.Failure.REJECTED


def test_resource_errors_back_off_for_minutes_others_for_seconds(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("GTV_RETRY_BASE_S", "GTV_RETRY_MAX_S", "GTV_RETRY_RESOURCE_BASE_S", "GTV_RETRY_RESOURCE_MAX_S"):
        monkeypatch.delenv(name, raising=False)
    get_settings.cache_clear()
    full = OSError(errno.ENOSPC, "No space left on device")
    assert [retries.backoff_s(n, full) for n in (1, 2, 3, 10)] == [60, 120, 240, 900]
    assert [retries.backoff_s(n, RuntimeError("x")) for n in (1, 2, 3, 10)] == [2, 4, 8, 60]
