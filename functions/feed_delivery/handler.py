"""FeedDeliveryFunction: SQS feed messages → signed POSTs to the partners' receivers (one failing record never
blocks the rest of the batch; a receiver that is down is retried with the feed's own backoff)."""

from __future__ import annotations

from typing import Any

from gtvision.core.coldstart import imports_without_gc

with imports_without_gc():
    from aws_lambda_powertools.utilities.batch import process_partial_response
    from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
    from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
    from aws_lambda_powertools.utilities.typing import LambdaContext

    from gtvision.core.observability import logger, metrics, tracer
    from gtvision.core.retries import RetryingBatchProcessor
    from gtvision.sharing import delivery

# Down receivers are retried after delivery.backoff_s (GTV_FEED_RETRY_BASE_S doubling, GTV_FEED_RETRY_MAX_S cap).
processor = RetryingBatchProcessor(backoff=delivery.backoff_s)


def record_handler(record: SQSRecord) -> str:
    """One delivery: poison messages, busy deliveries and down receivers raise (the record is retried)."""
    delivery_id = delivery.parse_message(record.body)
    outcome = delivery.process(delivery_id, record.body)
    metrics.add_metric(name=f"FeedDeliveries_{outcome}", unit="Count", value=1)
    logger.info("feed delivery", extra={"delivery_id": delivery_id, "outcome": outcome})
    return outcome


@logger.inject_lambda_context
@metrics.log_metrics
@tracer.capture_lambda_handler(capture_response=False)
def handler(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
    return process_partial_response(event=event, record_handler=record_handler, processor=processor, context=context)
