"""EventsNotifierFunction: events queue → PostToConnection to each subscribed connection of the
event's city (admins: all); connections API Gateway reports gone are pruned. Records fail alone (partial
batch failures): a malformed message is poison and reaches the events DLQ within seconds; anything else
(the database away) is retried with growing backoff (`core.retries`, ADR 0010)."""

from __future__ import annotations

from typing import Any

from gtvision.core.coldstart import imports_without_gc

with imports_without_gc():
    from aws_lambda_powertools.utilities.batch import process_partial_response
    from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
    from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
    from aws_lambda_powertools.utilities.typing import LambdaContext

    from gtvision.core.observability import logger, metrics, tracer
    from gtvision.core.retries import PoisonMessage, RetryingBatchProcessor
    from gtvision.live import service as live

processor = RetryingBatchProcessor()


def record_handler(record: SQSRecord) -> None:
    try:
        event = live.parse_event(record.body)
    except ValueError as exc:  # not JSON, or no valid type/city_id: no retry can ever deliver it
        raise PoisonMessage(f"evento inválido: {exc}") from exc
    result = live.fan_out(event)
    metrics.add_metric(name="LiveEventsDelivered", unit="Count", value=result.delivered)
    metrics.add_metric(name="LiveConnectionsGone", unit="Count", value=result.gone)
    logger.info(
        "live event fanned out",
        extra={"type": event["type"], "targets": result.targets, "delivered": result.delivered,
               "gone": result.gone, "failed": result.failed},
    )  # fmt: skip


@logger.inject_lambda_context
@metrics.log_metrics
@tracer.capture_lambda_handler(capture_response=False)
def handler(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
    return process_partial_response(event=event, record_handler=record_handler, processor=processor, context=context)
