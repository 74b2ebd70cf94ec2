"""Retries of SQS records: growing backoff for transient failures, straight to the DLQ for poison.

Every SQS handler uses :class:`RetryingBatchProcessor` (Powertools' partial batch response). A record
that fails is logged with its reason and made visible again after ``backoff_s(receive count)`` seconds
(``ChangeMessageVisibility``) instead of after the queue's visibility timeout; a :class:`PoisonMessage`
(it can never succeed) is made visible at once, so it spends its receives quickly and SQS moves it to
the dead-letter queue. The redrive counts in template.yaml are sized on this schedule (ADR 0010).
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType
from aws_lambda_powertools.utilities.batch.base import FailureResponse

from gtvision.core import queues
from gtvision.core.errors import PoisonMessage
from gtvision.core.observability import logger, metrics
from gtvision.core.settings import get_settings

__all__ = ["PoisonMessage", "RetryingBatchProcessor", "backoff_s"]


def backoff_s(receive_count: int) -> int:
    """Seconds before the next attempt after the `receive_count`-th failed one: base·2^(n-1), capped."""
    settings = get_settings()
    exponent = min(max(receive_count, 1) - 1, 30)
    return int(min(settings.retry_max_s, settings.retry_base_s * 2**exponent))


class RetryingBatchProcessor(BatchProcessor):
    """SQS `BatchProcessor` whose failed records are logged with their reason and retried with backoff."""

    def __init__(self) -> None:
        super().__init__(event_type=EventType.SQS, raise_on_entire_batch_failure=False)

    def failure_handler(self, record: Any, exception: Any) -> FailureResponse:
        error = exception[1]
        attributes = record.get("attributes") or {}
        receives = int(attributes.get("ApproximateReceiveCount") or 1)
        poison = isinstance(error, PoisonMessage)
        delay = 0 if poison else backoff_s(receives)
        logger.warning(
            "record failed: dead-letter bound" if poison else "record failed: retried with backoff",
            extra={
                "message_id": record.get("messageId"),
                "receive_count": receives,
                "reason": f"{type(error).__name__}: {error}"[:500],
                "retry_in_s": delay,
            },
        )
        metrics.add_metric(name="RecordsPoison" if poison else "RecordsRetried", unit="Count", value=1)
        try:
            queues.retry_in(str(record.get("eventSourceARN")), str(record.get("receiptHandle")), delay)
        except Exception as exc:  # noqa: BLE001 - the record is still retried, after the queue's visibility timeout
            logger.warning(
                "could not set the retry delay", extra={"message_id": record.get("messageId"), "error": repr(exc)}
            )
        return super().failure_handler(record, exception)
