"""Faults of clips. On a full or read-only scratch a resource error is transient (the job backs off for
minutes through the message's visibility), the clip says in pt-BR what ran out, and its stored error keeps
ffmpeg's cause (the end of its output, not the start); the scratch is a real tmpfs of a fixed size, filled on
purpose. A clip whose file vanished from storage answers without a link, saying so.
"""

from __future__ import annotations

import os
import tempfile
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from scratch_support import fill, small_scratch
from test_clips import (  # noqa: F401 - the module's fixture reused as it is
    WorkerContext,
    clip,
    drain,
    register,
    request_clip,
    segment_files,
    sqs,
)
from utils import load_function

from gtvision.clips import worker as clips
from gtvision.clips.schemas import MAX_ATTEMPTS
from gtvision.core import errors, queues
from gtvision.media.clipping import SegmentSource


@pytest.fixture()
def recorded(world: Any, segment_files: list[SegmentSource]) -> Any:  # noqa: F811
    start = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=2)
    return register(world.camera(), segment_files, start)


def _job_message(queue: str, clip_id: str) -> list[dict[str, Any]]:
    """The clip's job message (the queue may hold other tests' jobs ahead of it: read until it comes)."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        got = sqs().receive_message(QueueUrl=queue, MaxNumberOfMessages=10, WaitTimeSeconds=1).get("Messages", [])
        mine = [m for m in got if clip_id in m["Body"]]
        if mine:
            return mine
    raise AssertionError(f"no job message for clip {clip_id}")


def _sources_size(files: list[SegmentSource]) -> int:
    return sum(os.path.getsize(f.url_or_path) for f in files)


def test_a_full_scratch_backs_off_for_minutes_says_why_and_the_clip_is_made_once_space_is_back(
    world: Any,
    recorded: Any,
    segment_files: list[SegmentSource],  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Given an exact clip over the four segments and a scratch where they fit but the clip does not
    clip_id = request_clip(world, recorded, 0.5, 7.5, "exact")
    queue = sqs().get_queue_url(QueueName="gtvision-clip-jobs")["QueueUrl"]
    delays: list[int] = []
    monkeypatch.setattr(queues, "retry_in", lambda arn, handle, delay: delays.append(delay))
    handler = load_function("clip_worker", "handler").handler
    with small_scratch(16 << 20) as scratch:
        monkeypatch.setattr(tempfile, "tempdir", str(scratch))
        filler = fill(scratch, leave_free=_sources_size(segment_files) + 8192)

        # When the clip worker gets its job
        mine = _job_message(queue, clip_id)
        event = {"Records": [_record(m, queue) for m in mine]}
        result = handler(event, WorkerContext())

        # Then the record is retried after minutes, not seconds, and the clip is queued again saying why
        assert [f["itemIdentifier"] for f in result["batchItemFailures"]] == [mine[0]["MessageId"]]
        assert delays == [60]
        out = clip(world, clip_id)
        assert out["status"] == "queued"
        assert "sem espaço temporário para recortar" in out["error"]
        assert "No space left on device" in out["error"], "ffmpeg's cause (the end of its output) is kept"
        assert len(out["error"]) <= 600

        # When space is back and the job comes again
        filler.unlink()
        assert handler(event, WorkerContext()) == {"batchItemFailures": []}
    drain(queue)
    # Then the clip is made, and the old reason is gone
    out = clip(world, clip_id)
    assert out["status"] == "ready" and out["error"] is None


def test_a_read_only_scratch_fails_the_last_attempt_with_a_reason_in_portuguese(
    world: Any, recorded: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    clip_id = request_clip(world, recorded, 0.0, 4.0)
    with small_scratch(1 << 20, read_only=True) as scratch:
        for _ in range(1, MAX_ATTEMPTS):
            with pytest.raises(OSError):
                clips.process(clip_id, 60, scratch_root=str(scratch))
            assert "sem armazenamento temporário gravável para recortar" in clip(world, clip_id)["error"]
        assert clips.process(clip_id, 60, scratch_root=str(scratch)) == "failed"
    out = clip(world, clip_id)
    assert out["status"] == "failed"
    assert out["error"].startswith("erro após 3 tentativas: sem armazenamento temporário gravável para recortar")
    assert "OSError" not in out["error"]


def test_a_long_ffmpeg_error_keeps_its_end() -> None:
    cause = "Error writing trailer: No space left on device"
    long = "ffmpeg falhou (código 228): " + "[mov @ 0x1] aviso irrelevante\\n" * 60 + cause
    bounded = errors.bounded_reason(long)
    assert len(bounded) <= 600 and bounded.endswith(cause) and bounded.startswith("ffmpeg falhou (código 228)")


def _record(message: dict[str, Any], url: str) -> dict[str, Any]:
    from gtvision_local import events

    arn = sqs().get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    return dict(events.sqs_record(message, arn))


def test_a_clip_whose_file_vanished_gives_no_link_and_says_so(world: Any, recorded: Any) -> None:
    from gtvision.core import aws
    from gtvision.core.settings import get_settings

    # Given a ready clip
    clip_id = request_clip(world, recorded, 0.0, 2.0)
    assert clips.process(clip_id, 60) == "ready"
    ready = clip(world, clip_id)
    assert ready["download_url"]

    # When its file disappears from storage (deleted by hand, or a storage emulator restarted)
    aws.client("s3").delete_object(Bucket=get_settings().recordings_bucket, Key=f"clips/{clip_id}.mp4")

    # Then reading it gives no link that would fail with 403, and says why
    out = clip(world, clip_id)
    assert out["download_url"] is None and out["manifest_url"] is None
    assert "não está mais no armazenamento" in out["error"]
