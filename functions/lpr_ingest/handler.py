"""LprIngestFunction: SQS batches of plate reads → PostgreSQL with one COPY (partial batch failures).

Each message holds one read or a list of reads (integrators, backfills, `POST /v1/lpr/batch`). The whole batch
is written at once; what a failed record means is `core.retries.classify`'s rule: a message with an invalid
read or an unknown camera is poison (straight to the dead-letter queue, alone); a batch that cannot be written
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
    from gtvision.core.retries import Failure, RetryingBatchProcessor, classify
    from gtvision.lpr import batch as lpr_batch

processor = RetryingBatchProcessor()


@logger.inject_lambda_context
@metrics.log_metrics
@tracer.capture_lambda_handler(capture_response=False)
def handler(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
    records = event.get("Records") or []
    # One bulk write for the batch first; the per-record pass below only reports each outcome.
    outcome: dict[Any, BaseException]
    try:
        result = lpr_batch.ingest_batch([str(r.get("body") or "") for r in records])
    except Exception as exc:  # noqa: BLE001 - the batch as a whole failed: classify() decides for each record
        logger.exception("lpr batch not stored")
        outcome = {r.get("messageId"): exc for r in records}
    else:
        outcome = {r.get("messageId"): result.failed[i] for i, r in enumerate(records) if i in result.failed}
        metrics.add_metric(name="LprReadsInserted", unit="Count", value=result.inserted)
        metrics.add_metric(name="LprReadsIngested", unit="Count", value=result.inserted)  # with the webhook's
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
        failure = outcome.get(record.message_id)
        if failure is None:
            return
        if classify(failure) is Failure.REJECTED:  # refused input the feature already accounted for
            logger.warning("lpr message rejected", extra={"message_id": record.message_id, "reason": str(failure)})
            return
        raise failure  # poison: to the dead-letter queue at once; transient: retried with backoff

    return process_partial_response(event=event, record_handler=record_handler, processor=processor, context=context)
