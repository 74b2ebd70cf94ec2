"""Retries of SQS records: growing backoff for transient failures, straight to the DLQ for poison.

Every SQS handler uses :class:`RetryingBatchProcessor` (Powertools' partial batch response). A record
that fails is logged with its reason and made visible again after ``backoff_s(receive count)`` seconds
(``ChangeMessageVisibility``) instead of after the queue's visibility timeout; a :class:`PoisonMessage`
(it can never succeed) is made visible at once, so it spends its receives quickly and SQS moves it to
the dead-letter queue. The redrive counts in template.yaml are sized on this schedule (ADR 0010).
"""

from __future__ import annotations

import errno
from collections.abc import Callable
from enum import Enum
from typing import Any

import psycopg
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType
from aws_lambda_powertools.utilities.batch.base import FailureResponse

from gtvision.core import queues
from gtvision.core.errors import BadInput, DomainError, PoisonMessage, ResourceExhausted, TransientError
from gtvision.core.observability import logger, metrics
from gtvision.core.settings import get_settings

__all__ = ["Failure", "PoisonMessage", "RetryingBatchProcessor", "backoff_s", "classify", "resource_error"]

#: errno values of a machine running out of something (scratch space, file handles, memory): never the
#: input's fault (ADR 0010).
RESOURCE_ERRNOS = frozenset({errno.ENOSPC, errno.EROFS, errno.EMFILE, errno.ENFILE, errno.ENOMEM, errno.EDQUOT})


class Failure(Enum):
    """What a failed record means — the one rule every SQS handler and worker applies."""

    #: The message itself can never succeed (not JSON, unknown ids): to the dead-letter queue, fast.
    POISON = "poison"
    #: The input is bad (unreadable media, invalid values): the feature records why; the message succeeds.
    REJECTED = "rejected"
    #: Anything else (resources, timeouts, the database, a killed process): retried with backoff.
    TRANSIENT = "transient"


def classify(exc: BaseException) -> Failure:
    """Poison, rejected or transient: unknown errors are transient (retried, bounded by the redrive count),
    so evidence is never rejected because of a fault of ours."""
    if isinstance(exc, PoisonMessage):
        return Failure.POISON
    if isinstance(exc, TransientError | psycopg.OperationalError):
        return Failure.TRANSIENT
    if isinstance(exc, OSError) and exc.errno in RESOURCE_ERRNOS:
        return Failure.TRANSIENT
    if isinstance(exc, BadInput | DomainError):
        return Failure.REJECTED
    return Failure.TRANSIENT


def resource_error(exc: BaseException) -> bool:
    """Whether the failure is the machine running out of something (retried after minutes)."""
    if isinstance(exc, ResourceExhausted):
        return True
    return isinstance(exc, OSError) and exc.errno in RESOURCE_ERRNOS


def backoff_s(receive_count: int, exc: BaseException | None = None) -> int:
    """Seconds before the next attempt after the `receive_count`-th failed one: base·2^(n-1), capped —
    seconds for most failures, minutes for resource errors (`GTV_RETRY_RESOURCE_*`)."""
    settings = get_settings()
    exponent = min(max(receive_count, 1) - 1, 30)
    if exc is not None and resource_error(exc):
        return int(min(settings.retry_resource_max_s, settings.retry_resource_base_s * 2**exponent))
    return int(min(settings.retry_max_s, settings.retry_base_s * 2**exponent))


class RetryingBatchProcessor(BatchProcessor):
    """SQS `BatchProcessor` whose failed records are logged with their reason and retried with backoff
    (`backoff`: seconds before the next attempt, by receive count, for a queue with its own schedule; by
    default `backoff_s`, which waits minutes after a resource error)."""

    def __init__(self, backoff: Callable[[int], int] | None = None) -> None:
        super().__init__(event_type=EventType.SQS, raise_on_entire_batch_failure=False)
        self.backoff = backoff

    def failure_handler(self, record: Any, exception: Any) -> FailureResponse:
        error = exception[1]
        attributes = record.get("attributes") or {}
        receives = int(attributes.get("ApproximateReceiveCount") or 1)
        poison = classify(error) is Failure.POISON
        if poison:
            delay = 0
        else:
            delay = backoff_s(receives, error) if self.backoff is None else self.backoff(receives)
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
