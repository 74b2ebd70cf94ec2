"""Handlers driven by the local runtime's event factories (collaborators faked; the real paths are in
tests/integration): S3 test events, non-JSON bodies, poison records and an invocation running out of time."""

from __future__ import annotations

import json
from typing import Any

import pytest
from utils import LambdaContext, load_function

from gtvision.core import queues
from gtvision_local import events

QUEUE_ARN = "arn:aws:sqs:us-east-1:123456789012:gtvision-test"
CLIP_ID = "6f1c2b9e-3d4a-4e5f-8a7b-1c2d3e4f5a6b"


@pytest.fixture(autouse=True)
def retry_delays(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, int]]:
    """The delay each failed record is given (no queue here: the real call is tested in integration)."""
    seen: list[tuple[str, int]] = []
    monkeypatch.setattr(queues, "retry_in", lambda arn, receipt, delay: seen.append((receipt, delay)))
    return seen


@pytest.fixture()
def uploads(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, str]]:
    module = load_function("segment_upload", "handler")
    seen: list[tuple[str, str]] = []
    monkeypatch.setattr(module.recordings, "register_upload", lambda bucket, key, **_: seen.append((bucket, key)))
    return seen


def test_segment_upload_registers_created_objects_with_their_key_decoded(uploads: list[tuple[str, str]]) -> None:
    handler = load_function("segment_upload", "handler").handler
    created = events.s3_event("gtvision-recordings", "recordings/cam/2026-11-23 10:00:00+x.ts")
    removed = events.s3_event("gtvision-recordings", "recordings/cam/old.ts", event_name="ObjectRemoved:Delete")
    event = events.sqs_event([json.dumps(created), json.dumps(removed)], QUEUE_ARN)

    assert handler(event, LambdaContext()) == {"batchItemFailures": []}
    assert uploads == [("gtvision-recordings", "recordings/cam/2026-11-23 10:00:00+x.ts")]


def test_segment_upload_ignores_the_s3_test_event_and_dead_letters_a_non_json_body(
    uploads: list[tuple[str, str]], retry_delays: list[tuple[str, int]]
) -> None:
    handler = load_function("segment_upload", "handler").handler
    test_event = json.dumps({"Service": "Amazon S3", "Event": "s3:TestEvent", "Bucket": "gtvision-recordings"})
    event = events.sqs_event([test_event, "isto não é JSON"], QUEUE_ARN)

    result = handler(event, LambdaContext())

    # The test event succeeds; the non-JSON body fails alone and is made visible at once (DLQ-bound)
    test_record, junk = event["Records"]
    assert result == {"batchItemFailures": [{"itemIdentifier": junk["messageId"]}]}
    assert retry_delays == [(junk["receiptHandle"], 0)]
    assert uploads == []


@pytest.fixture()
def processed(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    module = load_function("clip_worker", "handler")
    seen: list[str] = []

    def process(clip_id: str, timeout_s: float) -> str:
        seen.append(clip_id)
        return "ready"

    monkeypatch.setattr(module.clips, "process", process)
    return seen


def test_clip_worker_fails_a_poison_record_alone(processed: list[str]) -> None:
    handler = load_function("clip_worker", "handler").handler
    event = events.sqs_event(["não é JSON", json.dumps({"clip_id": "x"}), json.dumps({"clip_id": CLIP_ID})], QUEUE_ARN)

    result = handler(event, LambdaContext(timeout_s=900))

    ids = [r["messageId"] for r in event["Records"]]
    assert [f["itemIdentifier"] for f in result["batchItemFailures"]] == ids[:2]
    assert processed == [CLIP_ID]


def test_clip_worker_leaves_a_job_for_later_when_the_invocation_is_almost_out_of_time(processed: list[str]) -> None:
    handler = load_function("clip_worker", "handler").handler
    event = events.sqs_event([json.dumps({"clip_id": CLIP_ID})], QUEUE_ARN)

    # 90 s left: less than the margin plus the shortest cut — the record is retried, the clip not touched
    result = handler(event, LambdaContext(timeout_s=90))

    assert [f["itemIdentifier"] for f in result["batchItemFailures"]] == [event["Records"][0]["messageId"]]
    assert processed == []


def test_lpr_ingest_fails_a_non_json_message_without_touching_the_database(monkeypatch: pytest.MonkeyPatch) -> None:
    module = load_function("lpr_ingest", "handler")

    def no_database(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("no read to store: the database is not reached")

    monkeypatch.setattr(module.lpr_batch.db, "transaction", no_database)
    event = events.sqs_event(["{não é JSON"], QUEUE_ARN)

    result = module.handler(event, LambdaContext())

    assert [f["itemIdentifier"] for f in result["batchItemFailures"]] == [event["Records"][0]["messageId"]]
