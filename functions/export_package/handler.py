"""ExportPackageFunction: SQS packaging jobs → the ZIP of an export (files, signed manifest, custodia.pdf)."""

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
    from gtvision.exports import package

processor = RetryingBatchProcessor()


def record_handler(record: SQSRecord, lambda_context: LambdaContext | None = None) -> str:
    """One package: poison messages, busy packages and transient errors raise (retried or dead-lettered)."""
    outcome = package.process_message(record.body)
    metrics.add_metric(name=f"ExportPackages_{outcome}", unit="Count", value=1)
    logger.info("export package done", extra={"outcome": outcome})
    return outcome


@logger.inject_lambda_context
@metrics.log_metrics
@tracer.capture_lambda_handler(capture_response=False)
def handler(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
    return process_partial_response(event=event, record_handler=record_handler, processor=processor, context=context)
