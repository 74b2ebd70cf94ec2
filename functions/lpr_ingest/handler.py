"""LprIngestFunction: SQS batches of plate reads → PostgreSQL with one COPY (partial batch failures).

Each message holds one read or a list of reads (integrators, backfills, `POST /v1/lpr/batch`).
The whole batch is written at once; a message with an invalid read or an unknown camera fails
alone and is retried, then dead-lettered.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from gtvision.logic import lpr_ingest
from gtvision.observability import logger, metrics, tracer

processor = BatchProcessor(event_type=EventType.SQS, raise_on_entire_batch_failure=False)


class RecordRefused(Exception):
    """The record's reads were not stored (reason in the message)."""


@logger.inject_lambda_context
@metrics.log_metrics
@tracer.capture_lambda_handler(capture_response=False)
def handler(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
    records = event.get("Records") or []
    # One bulk write for the batch first; the per-record pass below only reports each outcome.
    result = lpr_ingest.ingest_batch([str(r.get("body") or "") for r in records])
    outcome = {r.get("messageId"): result.failed.get(i) for i, r in enumerate(records)}
    metrics.add_metric(name="LprReadsInserted", unit="Count", value=result.inserted)
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
