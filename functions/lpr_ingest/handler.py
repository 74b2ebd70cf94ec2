"""LprIngestFunction: SQS batches of plate reads → PostgreSQL with one COPY (partial batch failures).

Each message holds one read or a list of reads (integrators, backfills, `POST /v1/lpr/batch`).
The whole batch is written at once; a message with an invalid read or an unknown camera fails
alone and goes straight back to the queue until SQS dead-letters it; a batch that cannot be written
(database away) fails every record, each retried with growing backoff.
"""

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
    from gtvision.lpr import ingest as lpr_ingest

processor = RetryingBatchProcessor()


class RecordRefused(PoisonMessage):
    """The record's reads were refused (reason in the message): retrying cannot help, it goes to the DLQ."""


class BatchNotStored(Exception):
    """The batch could not be written (database away): every record is retried with backoff."""


@logger.inject_lambda_context
@metrics.log_metrics
@tracer.capture_lambda_handler(capture_response=False)
def handler(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
    records = event.get("Records") or []
    # One bulk write for the batch first; the per-record pass below only reports each outcome.
    try:
        result = lpr_ingest.ingest_batch([str(r.get("body") or "") for r in records])
    except Exception as exc:  # noqa: BLE001 - transient: fail each record, so each backs off (ADR 0010)
        logger.exception("lpr batch not stored; every record retried")
        failure = f"{type(exc).__name__}: {exc}"[:300]

        def retry_later(record: SQSRecord) -> None:
            raise BatchNotStored(failure)

        return process_partial_response(event=event, record_handler=retry_later, processor=processor, context=context)
    outcome = {r.get("messageId"): result.failed.get(i) for i, r in enumerate(records)}
    metrics.add_metric(name="LprReadsInserted", unit="Count", value=result.inserted)
    metrics.add_metric(name="LprReadsIngested", unit="Count", value=result.inserted)  # fleet total with the webhook
    metrics.add_metric(name="LprReadsDuplicate", unit="Count", value=result.duplicates)
    metrics.add_metric(name="LprMessagesFailed", unit="Count", value=len(result.failed))
    logger.info(
        "lpr batch ingested",
        extra={
            "messages": len(records),
            "inserted": result.inserted,
            "duplicates": result.duplicates,
            "failed": len(result.failed),
            "alerts": result.alerts,
        },
    )

    def record_handler(record: SQSRecord) -> None:
        reason = outcome.get(record.message_id)
        if reason:
            raise RecordRefused(reason)

    return process_partial_response(event=event, record_handler=record_handler, processor=processor, context=context)
