"""``gtvision local redrive <QueueLogicalId>``: move a dead-letter queue's messages back to its source queue.

The local twin of ``aws sqs start-message-move-task`` (docs/runbook-dlq.md): after the cause of the
failures is fixed, the dead-lettered messages go back to the queue their function reads. Each message
is received from the DLQ, sent to the source queue with its body and attributes, then deleted from
the DLQ — at-least-once, like SQS's own move (a crash in between leaves a copy in both; every handler
is idempotent).
"""

from __future__ import annotations

import logging
from typing import Any

from .resources import aws_client
from .template import QueueSpec, Template

log = logging.getLogger("gtvision_local")


def source_and_dlq(template: Template, logical_id: str) -> tuple[QueueSpec, QueueSpec]:
    """(source queue, its DLQ) for the logical id of either one; ValueError when it has no redrive."""
    queues = {q.logical_id: q for q in template.queues()}
    if logical_id not in queues:
        raise ValueError(f"fila desconhecida: {logical_id} (existem: {', '.join(sorted(queues))})")
    for queue in queues.values():
        if queue.redrive and logical_id in (queue.logical_id, queue.redrive.dlq):
            return queue, queues[queue.redrive.dlq]
    raise ValueError(f"{logical_id} não tem fila de mensagens mortas (RedrivePolicy) nem é uma")


def dead_letter_consumers_note(template: Template, logical_id: str) -> str | None:
    """Why a DLQ with a function of its own holds nothing to move back (None when it has none)."""
    _, dlq = source_and_dlq(template, logical_id)
    consumers = template.consumers(dlq.logical_id)
    if not consumers:
        return None
    names = " e ".join(f.logical_id for f in consumers)
    what = "; ".join(f.description for f in consumers if f.description)
    return (
        f"{dlq.logical_id} não guarda mensagens para devolver: {names} as consome assim que chegam"
        f"{f' ({what})' if what else ''}. Veja as linhas [{consumers[0].logical_id}] do log."
    )


def redrive(template: Template, logical_id: str, endpoint_url: str | None = None) -> int:
    """Move every message now in the DLQ back to its source queue; returns how many were moved."""
    source, dlq = source_and_dlq(template, logical_id)
    sqs = aws_client("sqs", endpoint_url or template.endpoint_url)
    moved = 0
    while True:
        # Each received message stays invisible while it is moved; an empty receive means the DLQ is drained.
        messages = sqs.receive_message(
            QueueUrl=dlq.url, MaxNumberOfMessages=10, WaitTimeSeconds=0, VisibilityTimeout=60,
            AttributeNames=["All"], MessageAttributeNames=["All"],
        ).get("Messages", [])  # fmt: skip
        if not messages:
            break
        for message in messages:
            entry: dict[str, Any] = {"QueueUrl": source.url, "MessageBody": message["Body"]}
            if message.get("MessageAttributes"):
                entry["MessageAttributes"] = message["MessageAttributes"]
            sqs.send_message(**entry)
            sqs.delete_message(QueueUrl=dlq.url, ReceiptHandle=message["ReceiptHandle"])
            moved += 1
    log.info("redrive: %d message(s) moved from %s back to %s", moved, dlq.name, source.name)
    return moved
