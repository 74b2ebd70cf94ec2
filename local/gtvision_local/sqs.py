"""Lambda's SQS event source mapping, locally: one :class:`SqsPoller` per SQS event of a function.

It long-polls the emulator, invokes the handler with a Lambda SQS event, deletes what succeeded and
honours ``ReportBatchItemFailures``. Like Lambda, it keeps several batches of one queue in flight at once
(:func:`concurrency_of`): one hung invocation — an ffmpeg that never returns — holds its own batch, not
the queue.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from typing import Any, cast

from . import events
from .invoker import Invoker
from .logs import as_function, log
from .resources import aws_client
from .template import FunctionSpec, QueueSpec, SqsEvent

#: Batches in flight per event source when neither the source nor the function sets a limit.
DEFAULT_CONCURRENCY = 5


def concurrency_of(function: FunctionSpec, event: SqsEvent) -> int:
    """How many batches of ``event`` may run at once: the source's ``ScalingConfig.MaximumConcurrency``,
    bounded by the function's ``ReservedConcurrentExecutions``; :data:`DEFAULT_CONCURRENCY` without either."""
    limits = [n for n in (event.maximum_concurrency, function.reserved_concurrency) if n]
    return max(1, min(limits)) if limits else DEFAULT_CONCURRENCY


class SqsPoller:
    """Delivers one queue to one function as Lambda's SQS event source mapping does."""

    def __init__(
        self,
        invoker: Invoker,
        function: FunctionSpec,
        event: SqsEvent,
        queue: QueueSpec,
        *,
        endpoint_url: str,
        region: str,
        dead_letter_consumers: tuple[FunctionSpec, ...] = (),
        wait_seconds: int = 1,
    ) -> None:
        """``dead_letter_consumers``: the functions that read this queue's DLQ (what becomes of a dead letter)."""
        self.invoker = invoker
        self.function = function
        self.event = event
        self.queue = queue
        self.region = region
        self.dead_letter_consumers = dead_letter_consumers
        self.wait_seconds = wait_seconds
        self.concurrency = concurrency_of(function, event)
        self._sqs = aws_client("sqs", endpoint_url)

    def _visibility_timeout(self) -> int:
        override = os.environ.get("GTV_LOCAL_VISIBILITY_TIMEOUT")
        return int(override) if override else self.queue.visibility_timeout

    def poll_once(self) -> int:
        """Receive one batch and process it; returns how many records were delivered."""
        messages = self.receive()
        if messages:
            self.deliver(messages)
        return len(messages)

    def receive(self) -> list[dict[str, Any]]:
        """One batch: up to ``BatchSize`` messages, filled for up to the batching window.

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
        return messages

    def deliver(self, messages: list[dict[str, Any]]) -> None:
        """Invoke the function with one batch; delete what succeeded."""
        records = [events.sqs_record(m, self.queue.arn, self.region) for m in messages]
        try:
            result = self.invoker.invoke(self.function.logical_id, {"Records": records})
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
            return
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
            counts = (len(records), len(done), len(failed))
            self._log(logging.WARNING, "batch of %d: %d ok, %d failed and kept for retry", *counts)
            self._log_dead_lettered([r for r in records if r["messageId"] in failed])
        else:
            self._log(logging.INFO, "batch of %d from %s ok", len(records), self.queue.name)

    def _log_dead_lettered(self, failed: list[dict[str, Any]]) -> None:
        """Say so when a failed message has used its last receive: the emulator moves it to the DLQ."""
        redrive = self.queue.redrive
        if redrive is None:
            return
        for record in failed:
            receives = int(record.get("attributes", {}).get("ApproximateReceiveCount") or 1)
            if receives < redrive.max_receive_count:
                continue
            if self.dead_letter_consumers:
                # The DLQ has its own function: the message does not wait there for a redrive.
                self._log(
                    logging.ERROR,
                    "message %s failed its last attempt (%d of %d): moved to %s, which %s takes at once (%s); "
                    "see its log lines - nothing stays in the DLQ for `gtvision local redrive`",
                    record["messageId"],
                    receives,
                    redrive.max_receive_count,
                    redrive.dlq_name,
                    " and ".join(f.logical_id for f in self.dead_letter_consumers),
                    "; ".join(f.description or "no description" for f in self.dead_letter_consumers),
                )
            else:
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
        """Receive while a slot is free and deliver each batch on a thread of its own, up to
        :attr:`concurrency` at once; on ``stop``, wait for the batches in flight."""
        slots = threading.BoundedSemaphore(self.concurrency)
        while not stop.is_set():
            if not slots.acquire(timeout=0.5):
                continue  # every slot busy: receive nothing until a batch is done
            try:
                messages = self.receive()
            except Exception as exc:  # the emulator restarting must not kill the poller
                slots.release()
                self._log(logging.ERROR, "polling %s failed: %s", self.queue.name, exc)
                stop.wait(2)
                continue
            if not messages:
                slots.release()
                continue
            # Daemon threads: a hung invocation must not keep the process from exiting.
            threading.Thread(
                target=self._deliver_then_release,
                args=(messages, slots),
                daemon=True,
                name=f"sqs-{self.function.logical_id}-batch",
            ).start()
        for _ in range(self.concurrency):
            slots.acquire()

    def _deliver_then_release(self, messages: list[dict[str, Any]], slots: threading.BoundedSemaphore) -> None:
        try:
            self.deliver(messages)
        except Exception as exc:  # a failed delete: the batch comes back after its visibility timeout
            self._log(logging.ERROR, "delivering a batch of %s failed: %s", self.queue.name, exc)
        finally:
            slots.release()
