"""Lambda's SQS event source mapping, locally: one :class:`SqsPoller` per SQS event of a function.

It long-polls the emulator, invokes the handler with a Lambda SQS event, deletes what succeeded and
honours ``ReportBatchItemFailures``.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from typing import TYPE_CHECKING, Any, cast

from . import events
from .logs import as_function, log
from .resources import aws_client
from .template import FunctionSpec, QueueSpec, SqsEvent

if TYPE_CHECKING:
    from .runtime import Runtime


class SqsPoller:
    """Delivers one queue to one function as Lambda's SQS event source mapping does."""

    def __init__(
        self, runtime: Runtime, function: FunctionSpec, event: SqsEvent, queue: QueueSpec, wait_seconds: int = 1
    ) -> None:
        self.runtime = runtime
        self.function = function
        self.event = event
        self.queue = queue
        self.wait_seconds = wait_seconds
        self._sqs = aws_client("sqs", runtime.endpoint_url)

    def _visibility_timeout(self) -> int:
        override = os.environ.get("GTV_LOCAL_VISIBILITY_TIMEOUT")
        return int(override) if override else self.queue.visibility_timeout

    def poll_once(self) -> int:
        """Receive one batch and process it; returns how many records were delivered.

        Redrive to the DLQ is the emulator's job: moto (like SQS) moves a message whose receive
        count reached ``maxReceiveCount`` to the dead-letter queue on the next receive.
        """
        batch_size = max(1, self.event.batch_size)
        messages = self._receive(batch_size, self.wait_seconds)
        # Like Lambda, fill the batch (SQS gives at most 10 per receive) for up to the batching window.
        deadline = time.monotonic() + self.event.batching_window
        while messages and len(messages) < batch_size:
            seen = {m["MessageId"] for m in messages}
            # A message whose (short, test) visibility timeout ran out meanwhile is not added twice.
            more = [m for m in self._receive(batch_size - len(messages), 0) if m["MessageId"] not in seen]
            if more:
                messages += more
            elif time.monotonic() >= deadline:
                break
            else:
                time.sleep(0.05)
        if not messages:
            return 0
        records = [events.sqs_record(m, self.queue.arn, self.runtime.template.region) for m in messages]
        try:
            result = self.runtime.invoke(self.function.logical_id, {"Records": records})
        except Exception as exc:
            self._log(
                logging.WARNING,
                "batch of %d failed (%s: %s): none deleted, retried after %d s",
                len(records),
                type(exc).__name__,
                exc,
                self._visibility_timeout(),
            )
            self._log_dead_lettered(records)
            return len(records)
        failed = self._failed_ids(result, records)
        done = [r for r in records if r["messageId"] not in failed]
        for start in range(0, len(done), 10):
            chunk = done[start : start + 10]
            self._sqs.delete_message_batch(
                QueueUrl=self.queue.url,
                Entries=[{"Id": str(i), "ReceiptHandle": r["receiptHandle"]} for i, r in enumerate(chunk)],
            )
        if failed:
            # Each failure's reason and retry delay is logged by the function itself (gtvision.core.retries).
            self._log(logging.WARNING, "batch of %d: %d ok, %d failed and kept for retry", len(records), len(done),
                      len(failed))  # fmt: skip
            self._log_dead_lettered([r for r in records if r["messageId"] in failed])
        else:
            self._log(logging.INFO, "batch of %d from %s ok", len(records), self.queue.name)
        return len(records)

    def _log_dead_lettered(self, failed: list[dict[str, Any]]) -> None:
        """Say so when a failed message has used its last receive: the emulator moves it to the DLQ."""
        redrive = self.queue.redrive
        if redrive is None:
            return
        for record in failed:
            receives = int(record.get("attributes", {}).get("ApproximateReceiveCount") or 1)
            if receives >= redrive.max_receive_count:
                self._log(
                    logging.ERROR,
                    "message %s failed its last attempt (%d of %d): moved to %s (gtvision local redrive %s)",
                    record["messageId"],
                    receives,
                    redrive.max_receive_count,
                    redrive.dlq_name,
                    self.queue.logical_id,
                )

    def _receive(self, count: int, wait_seconds: int) -> list[dict[str, Any]]:
        response = self._sqs.receive_message(
            QueueUrl=self.queue.url,
            MaxNumberOfMessages=min(count, 10),
            WaitTimeSeconds=wait_seconds,
            VisibilityTimeout=self._visibility_timeout(),
            AttributeNames=["All"],
            MessageAttributeNames=["All"],
        )
        return list(response.get("Messages", []))

    def _failed_ids(self, result: Any, records: list[dict[str, Any]]) -> set[str]:
        """Message ids to keep; like Lambda, a malformed failure list fails the whole batch."""
        ids = {r["messageId"] for r in records}
        if not self.event.reports_batch_item_failures or not isinstance(result, dict):
            return set()
        failures = result.get("batchItemFailures") or []
        failed = {f.get("itemIdentifier") if isinstance(f, dict) else None for f in failures}
        if not failed <= ids:
            self._log(logging.WARNING, "invalid batchItemFailures %r: whole batch retried", failures)
            return ids
        return cast("set[str]", failed)  # a subset of ids: every member is a message id

    def _log(self, level: int, message: str, *args: Any) -> None:
        with as_function(self.function.logical_id):
            log.log(level, message, *args)

    def run(self, stop: threading.Event) -> None:
        while not stop.is_set():
            try:
                self.poll_once()
            except Exception as exc:  # the emulator restarting must not kill the poller
                self._log(logging.ERROR, "polling %s failed: %s", self.queue.name, exc)
                stop.wait(2)
