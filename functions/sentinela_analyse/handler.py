"""SentinelaAnalyseFunction: one SQS message per recording segment of a Sentinela search (partial batch
failures). What a failure means is `core.retries.classify`'s rule: a malformed message is poison (to the
dead-letter queue at once); a segment whose media cannot be read is rejected (it fails alone, the search goes
on and the message succeeds); anything else is retried with growing backoff.
SentinelaDeadLetterFunction: the dead-letter queue's consumer — the segment and its search fail."""

from __future__ import annotations

from typing import Any

from gtvision.core.coldstart import imports_without_gc

with imports_without_gc():
    from aws_lambda_powertools.utilities.batch import process_partial_response
    from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
    from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
    from aws_lambda_powertools.utilities.typing import LambdaContext

    from gtvision.core.errors import PoisonMessage
    from gtvision.core.observability import logger, metrics, tracer
    from gtvision.core.retries import Failure, RetryingBatchProcessor, classify
    from gtvision.sentinela import worker

processor = RetryingBatchProcessor()
dead_letter_processor = RetryingBatchProcessor()


def record_handler(record: SQSRecord) -> str:
    task = worker.parse_message(record.body)
    try:
        outcome = worker.analyse_segment(task)
    except Exception as exc:
        if classify(exc) is not Failure.REJECTED:
            raise
        worker.reject(task, f"mídia ilegível: {exc}"[:500])
        outcome = "rejected"
    metrics.add_metric(name=f"SentinelaSegments_{outcome}", unit="Count", value=1)
    return outcome


@logger.inject_lambda_context
@metrics.log_metrics
@tracer.capture_lambda_handler(capture_response=False)
def handler(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
    return process_partial_response(event=event, record_handler=record_handler, processor=processor, context=context)


def dead_letter_record(record: SQSRecord) -> None:
    try:
        task = worker.parse_message(record.body)
    except PoisonMessage:
        logger.error("sentinela dead letter unreadable", extra={"message_id": record.message_id})
        return
    worker.fail(task, f"análise falhou {record.attributes.approximate_receive_count} vezes")
    metrics.add_metric(name="SentinelaSegmentsDeadLettered", unit="Count", value=1)


@logger.inject_lambda_context
@metrics.log_metrics
@tracer.capture_lambda_handler(capture_response=False)
def dead_letter(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
    return process_partial_response(
        event=event, record_handler=dead_letter_record, processor=dead_letter_processor, context=context
    )
