"""Local parity of the AWS metrics the CloudWatch alarms of template.yaml read, served beside the functions'
EMF metrics at ``GET /metrics`` (gtvision_local.metrics), so Prometheus can alert on the same faults locally.

- ``aws_lambda_*`` (AWS/Lambda): invocations, errors (the handler raised) and duration of each function,
  counted by :class:`ObservedRuntime` around every invocation, as Lambda counts them.
- ``aws_apigateway_*`` (AWS/ApiGateway): requests by status code and their latency, from the ApiFunction's
  answers (a function that raised is the gateway's 502).
- ``aws_sqs_*`` (AWS/SQS): each template queue's visible and in-flight messages (the emulator's
  ApproximateNumberOf* attributes) and, with the in-process moto of ``make run``, the age of its oldest
  message; dead-letter queues carry ``dead_letter="true"``.
- ``gtvision_local_scratch_*_bytes`` and ``gtvision_local_disk_errors_total``: the functions' scratch disk
  (``TMPDIR``, ``.local/tmp``) and invocations that failed on the disk (no space, read-only, I/O error).
"""

from __future__ import annotations

import errno
import shutil
import tempfile
import threading
import time
from collections.abc import Iterator
from typing import Any

from prometheus_client import Counter, Histogram
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector, CollectorRegistry

from .logs import log
from .metrics import local_metrics
from .resources import aws_client
from .runtime import Runtime
from .template import QueueSpec, Template

#: An exception carrying one of these (anywhere in its chain) is a disk error of the scratch space.
DISK_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EIO, errno.EROFS})
_LATENCY_BUCKETS = (0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 3.0, 5.0, 10.0, 29.0)
_DURATION_BUCKETS = (0.01, 0.05, 0.1, 0.5, 1.0, 5.0, 15.0, 60.0, 300.0, 900.0)


def is_disk_error(exc: BaseException | None) -> bool:
    """Whether `exc` or what caused it is an OSError of the disk."""
    seen: set[int] = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        if isinstance(exc, OSError) and exc.errno in DISK_ERRNOS:
            return True
        exc = exc.__cause__ or exc.__context__
    return False


class _Queues(Collector):
    """Queue depth and oldest message age of the template's queues, read at each scrape."""

    def __init__(self) -> None:
        self.template: Template | None = None
        self.endpoint_url = ""
        self._sqs: Any = None

    def bind(self, template: Template, endpoint_url: str) -> None:
        self.template, self.endpoint_url = template, endpoint_url
        self._sqs = aws_client("sqs", endpoint_url)

    def collect(self) -> Iterator[Metric]:
        labels = ["queue", "queue_name", "dead_letter"]
        visible = GaugeMetricFamily(
            "aws_sqs_approximate_number_of_messages_visible", "Messages available to receive (AWS/SQS)", labels=labels
        )
        in_flight = GaugeMetricFamily(
            "aws_sqs_approximate_number_of_messages_not_visible",
            "Messages received and not yet deleted (AWS/SQS)",
            labels=labels,
        )
        age = GaugeMetricFamily(
            "aws_sqs_approximate_age_of_oldest_message_seconds",
            "Age of the oldest message not deleted (AWS/SQS; in-process moto only)",
            labels=labels,
        )
        if self.template is not None:
            queues = self.template.queues()
            dlqs = {q.redrive.dlq for q in queues if q.redrive is not None}
            for queue in queues:
                key = [queue.logical_id, queue.name, "true" if queue.logical_id in dlqs else "false"]
                try:
                    attrs = self._sqs.get_queue_attributes(
                        QueueUrl=queue.url,
                        AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
                    )["Attributes"]
                except Exception as exc:  # noqa: BLE001 - the emulator restarting: the series is absent, not 0
                    log.debug("queue %s not measured: %s", queue.name, exc)
                    continue
                visible.add_metric(key, float(attrs.get("ApproximateNumberOfMessages", 0)))
                in_flight.add_metric(key, float(attrs.get("ApproximateNumberOfMessagesNotVisible", 0)))
                oldest = _oldest_message_age(queue)
                if oldest is not None:
                    age.add_metric(key, oldest)
        yield visible
        yield in_flight
        yield age


def _oldest_message_age(queue: QueueSpec) -> float | None:
    """Seconds since the oldest message of `queue` was sent (0 when empty), from moto in this process."""
    try:
        from moto.sqs.models import sqs_backends
    except ImportError:
        return None
    _, _, _, region, account, name = queue.arn.split(":", 5)
    try:
        found = sqs_backends[account][region].queues.get(name)
        # Every message not deleted (visible or in flight), as CloudWatch's ApproximateAgeOfOldestMessage.
        stamps = [m.sent_timestamp for m in list(getattr(found, "_messages", [])) if m.sent_timestamp]
    except (KeyError, AttributeError):
        return None
    if found is None:
        return None
    return max(0.0, time.time() - min(stamps) / 1000) if stamps else 0.0


class _Scratch(Collector):
    """Free and total bytes of the functions' scratch directory's filesystem."""

    def collect(self) -> Iterator[Metric]:
        usage = shutil.disk_usage(tempfile.gettempdir())
        yield GaugeMetricFamily(
            "gtvision_local_scratch_free_bytes", "Free bytes where functions write /tmp", value=float(usage.free)
        )
        yield GaugeMetricFamily(
            "gtvision_local_scratch_size_bytes",
            "Size of the filesystem of the functions' /tmp",
            value=float(usage.total),
        )


class PlatformMetrics:
    """The counters and collectors above, registered once in the process's ``GET /metrics`` registry."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.invocations = Counter(
            "aws_lambda_invocations", "Invocations (AWS/Lambda Invocations)", ["function_name"], registry=registry
        )
        self.errors = Counter(
            "aws_lambda_errors",
            "Invocations whose handler raised (AWS/Lambda Errors)",
            ["function_name"],
            registry=registry,
        )
        self.duration = Histogram(
            "aws_lambda_duration_seconds",
            "Invocation duration (AWS/Lambda Duration)",
            ["function_name"],
            buckets=_DURATION_BUCKETS,
            registry=registry,
        )
        self.requests = Counter(
            "aws_apigateway_requests",
            "API requests by status code (AWS/ApiGateway Count)",
            ["status"],
            registry=registry,
        )
        self.latency = Histogram(
            "aws_apigateway_latency_seconds",
            "API request latency (AWS/ApiGateway Latency)",
            buckets=_LATENCY_BUCKETS,
            registry=registry,
        )
        self.disk_errors = Counter(
            "gtvision_local_disk_errors",
            "Invocations that failed on the scratch disk",
            ["function_name"],
            registry=registry,
        )
        self.queues = _Queues()
        registry.register(self.queues)
        registry.register(_Scratch())

    def invocation(
        self, function_id: str, event: Any, seconds: float, result: Any, error: BaseException | None
    ) -> None:
        """Count one invocation (and, for an API event, one request)."""
        self.invocations.labels(function_id).inc()
        self.duration.labels(function_id).observe(seconds)
        if error is not None:
            self.errors.labels(function_id).inc()
            if is_disk_error(error):
                self.disk_errors.labels(function_id).inc()
        if isinstance(event, dict) and "httpMethod" in event:
            status = result.get("statusCode") if error is None and isinstance(result, dict) else 502
            self.requests.labels(str(status)).inc()
            self.latency.observe(seconds)


_platform: PlatformMetrics | None = None
_platform_lock = threading.Lock()


def platform_metrics() -> PlatformMetrics:
    """The process's platform metrics (in the same registry as the EMF metrics: one ``GET /metrics``)."""
    global _platform
    with _platform_lock:
        if _platform is None:
            _platform = PlatformMetrics(local_metrics().registry)
        return _platform


class ObservedRuntime(Runtime):
    """The local runtime, its invocations counted as Lambda and API Gateway count them."""

    def __init__(self, template: Template, **kwargs: Any) -> None:
        super().__init__(template, **kwargs)
        self.metrics = platform_metrics()
        self.metrics.queues.bind(template, self.endpoint_url)
        for function_id in self.functions:  # every series from 0: increase() then counts the first error too
            for counter in (self.metrics.invocations, self.metrics.errors, self.metrics.disk_errors):
                counter.labels(function_id)

    def invoke(self, logical_id: str, event: Any) -> Any:
        started = time.monotonic()
        try:
            result = super().invoke(logical_id, event)
        except Exception as exc:
            self.metrics.invocation(logical_id, event, time.monotonic() - started, None, exc)
            raise
        self.metrics.invocation(logical_id, event, time.monotonic() - started, result, None)
        return result
