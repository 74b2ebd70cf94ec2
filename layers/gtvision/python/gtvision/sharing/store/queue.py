"""SQS of the feed: delivery messages to the feed queue and, after 24 h, to its dead-letter queue."""

from __future__ import annotations

from gtvision.core import aws
from gtvision.core.settings import get_settings


def send(bodies: list[str], url: str | None = None) -> None:
    """Send messages, 10 per call (SQS's batch limit)."""
    sqs = aws.client("sqs")
    target = url or get_settings().feed_queue_url
    for start in range(0, len(bodies), 10):
        chunk = bodies[start : start + 10]
        resp = sqs.send_message_batch(
            QueueUrl=target, Entries=[{"Id": str(i), "MessageBody": b} for i, b in enumerate(chunk)]
        )
        if resp.get("Failed"):
            raise RuntimeError(f"SQS refused {len(resp['Failed'])} feed messages")


def dead_letter(body: str) -> None:
    """Move a delivery's message to the feed's DLQ (where the alarm and the redrive path are)."""
    send([body], get_settings().feed_dlq_url)
