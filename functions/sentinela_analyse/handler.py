"""SentinelaAnalyseFunction: one SQS message per recording segment of a Sentinela search (partial batch
failures: a segment that cannot be analysed fails alone and is retried, then dead-lettered).
SentinelaDeadLetterFunction: the dead-letter queue's consumer — the segment and its search fail."""

from __future__ import annotations

from typing import Any

from gtvision.core.coldstart import imports_without_gc

with imports_without_gc():
    from aws_lambda_powertools.utilities.batch import process_partial_response
    from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
    from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
    from aws_lambda_powertools.utilities.typing import LambdaContext

    from gtvision.core.errors import Malformed
    from gtvision.core.observability import logger, metrics, tracer
    from gtvision.core.retries import PoisonMessage, RetryingBatchProcessor
    from gtvision.media.ffmpeg import MediaError, MediaInterrupted
    from gtvision.sentinela import service as sentinela

# Failures are retried with growing backoff; a segment whose media cannot be read (or a malformed
# message) is poison: it spends its receives at once and reaches the DLQ, which fails the search.
processor = RetryingBatchProcessor()
dead_letter_processor = RetryingBatchProcessor()


def record_handler(record: SQSRecord) -> str:
    try:
        task = sentinela.parse_message(record.body)
    except Malformed as exc:
        raise PoisonMessage(str(exc)) from exc
    try:
        outcome = sentinela.analyse_segment(task)
    except MediaInterrupted:
        raise  # a timeout or a killed ffmpeg: transient, retried with backoff
    except MediaError as exc:
        raise PoisonMessage(f"mídia ilegível: {exc}") from exc
    metrics.add_metric(name=f"SentinelaSegments_{outcome}", unit="Count", value=1)
    return outcome


@logger.inject_lambda_context
@metrics.log_metrics
@tracer.capture_lambda_handler(capture_response=False)
def handler(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
    return process_partial_response(event=event, record_handler=record_handler, processor=processor, context=context)


def dead_letter_record(record: SQSRecord) -> None:
    try:
        task = sentinela.parse_message(record.body)
    except Malformed:
        logger.error("sentinela dead letter unreadable", extra={"message_id": record.message_id})
        return
    sentinela.dead_letter(task, f"análise falhou {record.attributes.approximate_receive_count} vezes")
    metrics.add_metric(name="SentinelaSegmentsDeadLettered", unit="Count", value=1)


@logger.inject_lambda_context
@metrics.log_metrics
@tracer.capture_lambda_handler(capture_response=False)
def dead_letter(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
    return process_partial_response(
        event=event, record_handler=dead_letter_record, processor=dead_letter_processor, context=context
    )
