"""SegmentUploadFunction: S3 ObjectCreated events (through SQS) → one `segments` row per uploaded segment.

Each SQS record carries one S3 notification. Records fail alone (partial batch response). What a failure
means is `core.retries.classify`'s one rule: the upload's own fault (media that cannot be demuxed) is
recorded as rejected and the record succeeds; anything transient (storage, database, a killed ffmpeg, a
full scratch) is retried with growing backoff; a message that is not an S3 notification is dead-lettered
for inspection (ADR 0010).
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import unquote_plus

from gtvision.core.coldstart import imports_without_gc

with imports_without_gc():
    from aws_lambda_powertools.utilities.batch import process_partial_response
    from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
    from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
    from aws_lambda_powertools.utilities.typing import LambdaContext

    from gtvision.core.observability import logger, metrics, tracer
    from gtvision.core.retries import Failure, PoisonMessage, RetryingBatchProcessor, classify
    from gtvision.recordings import register as recordings

# The function's timeout is 120 s: ffmpeg gets what is left of the invocation minus this margin (download,
# thumbnail upload, the row), at most recordings.MAX_FFMPEG_S — a registration never outlives the function.
MARGIN_S = 20.0

processor = RetryingBatchProcessor()


def record_handler(record: SQSRecord, lambda_context: LambdaContext | None = None) -> None:
    """One SQS record: the S3 notification it carries, decoded by Powertools."""
    try:
        notification = record.decoded_nested_s3_event
    except json.JSONDecodeError as exc:
        raise PoisonMessage("mensagem não é uma notificação S3 (JSON inválido)") from exc
    if not isinstance(notification.raw_event, dict):
        raise PoisonMessage("mensagem não é uma notificação S3")
    if notification.get("Event") == "s3:TestEvent":
        return  # sent once when the bucket notification is configured
    for s3_record in notification.records if notification.get("Records") else ():
        if not s3_record.event_name.startswith("ObjectCreated"):
            continue
        key = unquote_plus(s3_record.s3.get_object.key)  # S3 URL-encodes keys in events
        bucket = s3_record.s3.bucket.name
        remaining = lambda_context.get_remaining_time_in_millis() / 1000 if lambda_context else 120.0
        try:
            recordings.register_upload(bucket, key, ffmpeg_budget_s=remaining - MARGIN_S)
        except Exception as exc:
            if classify(exc) is not Failure.REJECTED:
                raise  # poison: to the DLQ fast; transient: retried with backoff
            recordings.reject(bucket, key, exc)


@logger.inject_lambda_context
@metrics.log_metrics
@tracer.capture_lambda_handler(capture_response=False)
def handler(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
    return process_partial_response(event=event, record_handler=record_handler, processor=processor, context=context)
