"""EventsNotifierFunction: events queue → PostToConnection to each subscribed connection of the
event's city (admins: all), in the form its role may read; connections API Gateway reports gone are
pruned. Records fail alone (partial batch failures): a malformed message is poison and reaches the events
DLQ within seconds; anything else (the database away) is retried with growing backoff (`core.retries`,
ADR 0010)."""

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


def record_handler(record: SQSRecord, audience: live.Audience) -> None:
    try:
        event = live.parse_event(record.body)
    except ValueError as exc:  # not JSON, or no valid type/city_id: no retry can ever deliver it
        raise PoisonMessage(f"evento inválido: {exc}") from exc
    result = live.fan_out(event, audience)
    metrics.add_metric(name="LiveEventsDelivered", unit="Count", value=result.delivered)
    metrics.add_metric(name="LiveConnectionsGone", unit="Count", value=result.gone)
    tally = {"targets": result.targets, "delivered": result.delivered, "gone": result.gone, "failed": result.failed}
    logger.info("live event fanned out", extra={"type": event.type, **tally})


@logger.inject_lambda_context
@metrics.log_metrics
@tracer.capture_lambda_handler(capture_response=False)
def handler(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
    audience = live.Audience()  # the batch's events of one city share one subscriber lookup
    return process_partial_response(
        event=event,
        record_handler=lambda record: record_handler(record, audience),
        processor=processor,
        context=context,
    )
