"""SQS calls of the SQS handlers themselves: putting a failed record back on the queue after a delay."""

from __future__ import annotations

import threading

from gtvision.core import aws

_urls: dict[str, str] = {}
_lock = threading.Lock()


def queue_url(arn: str) -> str:
    """The URL of the queue of an `arn:aws:sqs:<region>:<account>:<name>` (looked up once a process)."""
    with _lock:
        if arn in _urls:
            return _urls[arn]
    _, _, _, _, account, name = arn.split(":", 5)
    url = str(aws.client("sqs").get_queue_url(QueueName=name, QueueOwnerAWSAccountId=account)["QueueUrl"])
    with _lock:
        _urls[arn] = url
    return url


def retry_in(arn: str, receipt_handle: str, seconds: int) -> None:
    """Make a received message visible again in `seconds` (0: at once) instead of the queue's timeout."""
    aws.client("sqs").change_message_visibility(
        QueueUrl=queue_url(arn), ReceiptHandle=receipt_handle, VisibilityTimeout=max(0, min(seconds, 43_200))
    )


def forget() -> None:
    """Drop the cached queue URLs (tests that recreate queues)."""
    with _lock:
        _urls.clear()
