"""Helpers of the recording tests: upload segments, collect their real S3 events from SQS, run the handler."""

from __future__ import annotations

import json
import struct
import time
from pathlib import Path
from typing import Any
from urllib.parse import unquote_plus

from utils import LambdaContext, load_function

from gtvision.core import aws, db
from gtvision.core.settings import get_settings
from gtvision_local import events, template

REPO = Path(__file__).resolve().parents[2]


def segment_queue() -> template.QueueSpec:
    tpl = template.load_template(REPO / "template.yaml", endpoint_url=get_settings().aws_endpoint_url)
    return next(q for q in tpl.queues() if q.logical_id == "SegmentUploadQueue")


def bucket() -> str:
    return get_settings().recordings_bucket


def upload(key: str, data: bytes | str) -> None:
    body = Path(data).read_bytes() if isinstance(data, str) else data
    aws.client("s3").put_object(Bucket=bucket(), Key=key, Body=body)


def _keys_of(body: str) -> list[str]:
    try:
        notification = json.loads(body)
    except json.JSONDecodeError:
        return []
    return [unquote_plus(r["s3"]["object"]["key"]) for r in notification.get("Records") or [] if "s3" in r]


def receive_events(keys: set[str], timeout: float = 15.0) -> dict[str, Any]:
    """The Lambda SQS event of the S3 notifications S3 (moto) queued for `keys`.

    Messages are left undeleted (the test decides); other tests' messages are made visible again.
    """
    queue = segment_queue()
    sqs = aws.client("sqs")
    records: list[dict[str, Any]] = []
    seen: set[str] = set()
    # Other tests' messages stay hidden while we look (else each receive could return the same ten of them
    # again and never reach ours) and are made visible again afterwards.
    others: list[str] = []
    deadline = time.monotonic() + timeout
    try:
        while seen < keys and time.monotonic() < deadline:
            messages = sqs.receive_message(
                QueueUrl=queue.url,
                MaxNumberOfMessages=10,
                WaitTimeSeconds=1,
                VisibilityTimeout=60,
                AttributeNames=["All"],
            ).get("Messages", [])
            for message in messages:
                mine = [k for k in _keys_of(message["Body"]) if k in keys]
                if mine:
                    seen.update(mine)
                    records.append(events.sqs_record(message, queue.arn))
                else:
                    others.append(message["ReceiptHandle"])
    finally:
        for handle in others:
            sqs.change_message_visibility(QueueUrl=queue.url, ReceiptHandle=handle, VisibilityTimeout=0)
    assert seen == keys, f"S3 events missing for {sorted(keys - seen)}"
    return {"Records": records}


def delete(event: dict[str, Any]) -> None:
    queue = segment_queue()
    for record in event["Records"]:
        aws.client("sqs").delete_message(QueueUrl=queue.url, ReceiptHandle=record["receiptHandle"])


def invoke(event: dict[str, Any], context: Any = None) -> dict[str, Any]:
    """Run SegmentUploadFunction's handler as Lambda would."""
    handler = load_function("segment_upload", "handler").handler
    return handler(event, context or LambdaContext())


def deliver(keys: set[str]) -> dict[str, Any]:
    """Upload events → handler → delete, as the event source mapping does; returns the handler's response."""
    event = receive_events(keys)
    result = invoke(event)
    failed = {f["itemIdentifier"] for f in result.get("batchItemFailures", [])}
    delete({"Records": [r for r in event["Records"] if r["messageId"] not in failed]})
    return result


def segment_rows(camera_id: str) -> list[dict[str, Any]]:
    with db.transaction() as conn:
        return conn.execute("SELECT * FROM segments WHERE camera_id = %s ORDER BY start_at", (camera_id,)).fetchall()


def rejections(key: str) -> list[dict[str, Any]]:
    with db.transaction() as conn:
        return conn.execute("SELECT * FROM rejected_uploads WHERE s3_key = %s", (key,)).fetchall()


def jpeg_size(data: bytes) -> tuple[int, int]:
    """(width, height) from a JPEG's SOF marker."""
    assert data[:2] == b"\xff\xd8", "not a JPEG"
    pos = 2
    while pos < len(data):
        marker, length = data[pos + 1], struct.unpack(">H", data[pos + 2 : pos + 4])[0]
        if marker in (0xC0, 0xC1, 0xC2):
            height, width = struct.unpack(">HH", data[pos + 5 : pos + 9])
            return width, height
        pos += 2 + length
    raise AssertionError("JPEG without SOF")
