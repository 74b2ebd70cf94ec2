"""SegmentUploadFunction: S3 ObjectCreated events (through SQS) → one `segments` row per uploaded segment.

Each SQS record carries one S3 notification. Records fail alone (partial batch response) and only on
transient errors; refused uploads are recorded by the logic and never retried.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import unquote_plus

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from gtvision.logic import recordings
from gtvision.observability import logger, metrics, tracer

processor = BatchProcessor(event_type=EventType.SQS)


def record_handler(record: SQSRecord) -> None:
    try:
        notification = json.loads(record.body)
    except json.JSONDecodeError:
        logger.error("SQS message is not an S3 notification", extra={"message_id": record.message_id})
        return  # retrying would not make it JSON
    if notification.get("Event") == "s3:TestEvent":
        return  # sent once when the bucket notification is configured
    for s3_record in notification.get("Records") or []:
        if not str(s3_record.get("eventName", "")).startswith("ObjectCreated"):
            continue
        bucket = s3_record["s3"]["bucket"]["name"]
        key = unquote_plus(s3_record["s3"]["object"]["key"])  # S3 URL-encodes keys in events
        recordings.register_upload(bucket, key)


@logger.inject_lambda_context
@metrics.log_metrics
@tracer.capture_lambda_handler(capture_response=False)
def handler(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
    return process_partial_response(event=event, record_handler=record_handler, processor=processor, context=context)
