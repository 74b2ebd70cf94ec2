"""One SQS record of an export part queue, as the thin handlers run it (ExportWorkerFunction and RedactionFunction):
parse, keep to the invocation's time, process. Packaging jobs are `package.process_message` (ExportPackageFunction),
so the part workers do not import the packaging code (ADR 0029)."""

from __future__ import annotations

from collections.abc import Callable

from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from gtvision.core.observability import logger, metrics
from gtvision.exports import worker
from gtvision.exports.schemas import PoisonMessage, parse_message

#: Lambda's own timeout is 900 s; leave room to upload and to mark the part after ffmpeg returns.
MARGIN_S = 60.0
MAX_CUT_S = 840.0
MIN_CUT_S = 60.0


class OutOfTime(Exception):
    """Too little of this invocation is left; the record is retried, unclaimed."""


def part(body: str, remaining_s: float | None) -> str:
    """A part job: the camera's file of an export (`ready`, `failed` or `skipped`)."""
    job = parse_message(body)
    if job.camera_id is None:
        raise PoisonMessage("tarefa de parte sem camera_id")
    timeout = min(MAX_CUT_S, (remaining_s if remaining_s is not None else MAX_CUT_S + MARGIN_S) - MARGIN_S)
    if timeout < MIN_CUT_S:
        raise OutOfTime(f"tempo restante insuficiente: parte {job.export_id}/{job.camera_id} fica para depois")
    return worker.process_part(job.export_id, job.camera_id, timeout)


def part_record_handler(metric_prefix: str) -> Callable[[SQSRecord, LambdaContext | None], str]:
    """The record handler of a part queue (ExportWorkerFunction, RedactionFunction): each record is one part;
    poison messages, busy parts and transient errors raise (the record is retried or dead-lettered); the
    outcome is counted as `{metric_prefix}_{outcome}`."""

    def record_handler(record: SQSRecord, lambda_context: LambdaContext | None = None) -> str:
        remaining = lambda_context.get_remaining_time_in_millis() / 1000 if lambda_context else None
        outcome = part(record.body, remaining)
        metrics.add_metric(name=f"{metric_prefix}_{outcome}", unit="Count", value=1)
        logger.info("export part done", extra={"outcome": outcome})
        return outcome

    return record_handler
