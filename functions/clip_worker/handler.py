"""ClipWorkerFunction: SQS clip jobs → clips (one failing record never blocks the rest of the batch)."""

from __future__ import annotations

from typing import Any

from gtvision.core.coldstart import imports_without_gc

with imports_without_gc():
    from aws_lambda_powertools.utilities.batch import process_partial_response
    from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
    from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
    from aws_lambda_powertools.utilities.typing import LambdaContext

    from gtvision.clips import worker as clips
    from gtvision.core.observability import logger, metrics, tracer
    from gtvision.core.retries import RetryingBatchProcessor

# Lambda's own timeout is 900 s; leave room to upload and to mark the clip after ffmpeg returns.
_MARGIN_S = 60.0
_MAX_CUT_S = 840.0
_MIN_CUT_S = 60.0  # less than this left (earlier records of the batch used it): retry the job later


class OutOfTime(Exception):
    """Too little of this invocation is left to make the clip; the record is retried, unclaimed."""


# Failed records are retried with growing backoff; poison ones (PoisonMessage) go to the DLQ at once.
processor = RetryingBatchProcessor()


def record_handler(record: SQSRecord, lambda_context: LambdaContext | None = None) -> str:
    """One job: poison messages, busy clips and transient errors raise, so the record is failed and redelivered."""
    remaining = lambda_context.get_remaining_time_in_millis() / 1000 if lambda_context else _MAX_CUT_S
    timeout = min(_MAX_CUT_S, remaining - _MARGIN_S)
    clip_id = clips.parse_message(record.body)
    if timeout < _MIN_CUT_S:
        raise OutOfTime(f"{remaining:.0f} s restantes na invocação: recorte {clip_id} fica para a próxima")
    outcome = clips.process(clip_id, timeout)  # scratch under TMPDIR: /tmp, the function's ephemeral storage
    metrics.add_metric(name=f"Clips_{outcome}", unit="Count", value=1)
    logger.info("clip job done", extra={"clip_id": clip_id, "outcome": outcome})
    return outcome


@logger.inject_lambda_context
@metrics.log_metrics
@tracer.capture_lambda_handler(capture_response=False)
def handler(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
    metrics.add_metric(name="ClipJobsReceived", unit="Count", value=len(event.get("Records") or []))
    return process_partial_response(event=event, record_handler=record_handler, processor=processor, context=context)
