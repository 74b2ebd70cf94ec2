"""Local parity of CloudWatch metrics: the EMF lines functions print, served in Prometheus text format.

In AWS, Powertools Metrics prints one CloudWatch Embedded Metric Format (EMF) JSON line per flush and
CloudWatch turns it into metrics. Locally, `EmfTee` sits on stdout and hands every EMF line to
`EmfCollector` (instead of printing it, unless GTV_LOCAL_SHOW_EMF=1); the API port serves
`GET /metrics` from the collector through prometheus-client's exposition. Event counts
(SegmentsRegistered, LprReadsIngested...) add up as counters; fleet snapshots
(`gtvision.health.poll.FLEET_GAUGES`) keep their last value.
"""

from __future__ import annotations

import io
import json
import os
import re
import sys
import threading
from collections.abc import Iterable, Iterator
from typing import Any, TextIO

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")
_INVALID = re.compile(r"[^a-zA-Z0-9_]")


def prometheus_name(namespace: str, metric: str) -> str:
    """`GTVision` + `CamerasOnline` → `gtvision_cameras_online`."""
    words = _CAMEL.sub("_", metric.replace("-", "_"))
    return _INVALID.sub("_", f"{namespace}_{words}".lower())


def _gauges() -> frozenset[str]:
    """EMF metrics that are snapshots (fleet health, the worst feed lag): the rest are counts."""
    try:
        from gtvision.health.poll import FLEET_GAUGES
        from gtvision.sharing.maintenance import GAUGES as FEED_GAUGES
    except ImportError:  # the domain layer is not importable: every metric is a count
        return frozenset()
    return frozenset(FLEET_GAUGES) | frozenset(FEED_GAUGES)


gauge_names = _gauges


class EmfCollector(Collector):
    """Aggregates EMF blobs: counts add up, fleet gauges keep their last value, per (name, labels)."""

    def __init__(self, gauges: Iterable[str] | None = None) -> None:
        self._gauges = frozenset(gauges) if gauges is not None else _gauges()
        self._lock = threading.Lock()
        # (prometheus name, source metric, unit) -> {labels tuple -> value}
        self._counters: dict[tuple[str, str, str], dict[tuple[tuple[str, str], ...], float]] = {}
        self._last: dict[tuple[str, str, str], dict[tuple[tuple[str, str], ...], float]] = {}
        self.lines = 0

    def ingest(self, blob: dict[str, Any]) -> None:
        """Take one EMF document (the `_aws` directive plus its metric and dimension values)."""
        meta = blob.get("_aws")
        if not isinstance(meta, dict):
            return
        with self._lock:
            self.lines += 1
            for directive in meta.get("CloudWatchMetrics") or []:
                namespace = str(directive.get("Namespace") or "default")
                dims = sorted({d for group in directive.get("Dimensions") or [] for d in group})
                labels = tuple((d, str(blob.get(d, ""))) for d in dims)
                for definition in directive.get("Metrics") or []:
                    name = str(definition.get("Name"))
                    raw = blob.get(name)
                    values = raw if isinstance(raw, list) else [raw]
                    numbers = [float(v) for v in values if isinstance(v, (int, float))]
                    if not numbers:
                        continue
                    key = (prometheus_name(namespace, name), name, str(definition.get("Unit") or ""))
                    if name in self._gauges:
                        self._last.setdefault(key, {})[labels] = numbers[-1]
                    else:
                        series = self._counters.setdefault(key, {})
                        series[labels] = series.get(labels, 0.0) + sum(numbers)

    def collect(self) -> Iterator[Metric]:
        with self._lock:
            counters = {k: dict(v) for k, v in self._counters.items()}
            gauges = {k: dict(v) for k, v in self._last.items()}
        for (prom, name, unit), series in sorted(counters.items()):
            labels = [k for k, _ in next(iter(series))] if series else []
            family = CounterMetricFamily(prom, f"{name} ({unit or 'Count'}), EMF", labels=labels)
            for key, value in series.items():
                family.add_metric([v for _, v in key], value)
            yield family
        for (prom, name, unit), series in sorted(gauges.items()):
            labels = [k for k, _ in next(iter(series))] if series else []
            family_g = GaugeMetricFamily(prom, f"{name} ({unit or 'Count'}), EMF, last value", labels=labels)
            for key, value in series.items():
                family_g.add_metric([v for _, v in key], value)
            yield family_g


class EmfTee(io.TextIOBase):
    """A stdout that feeds each complete EMF line to a collector and passes the rest through.

    EMF lines are kept out of the readable log unless `show_emf` (env GTV_LOCAL_SHOW_EMF=1).
    """

    def __init__(self, target: TextIO, collector: EmfCollector, show_emf: bool | None = None) -> None:
        self.target = target
        self.collector = collector
        self.show_emf = os.environ.get("GTV_LOCAL_SHOW_EMF") == "1" if show_emf is None else show_emf
        self._pending = ""
        self._lock = threading.Lock()

    def write(self, text: str) -> int:
        with self._lock:
            self._pending += text
            *lines, self._pending = self._pending.split("\n")
        out = []
        for line in lines:
            if line.startswith("{") and '"_aws"' in line:
                try:
                    self.collector.ingest(json.loads(line))
                    if not self.show_emf:
                        continue
                except ValueError:
                    pass
            out.append(line + "\n")
        with self._lock:
            if self._pending and not self._pending.startswith("{"):
                out.append(self._pending)  # a partial plain line (a prompt): shown now, not held back
                self._pending = ""
        if out:
            self.target.write("".join(out))
        return len(text)

    def flush(self) -> None:
        self.target.flush()

    def isatty(self) -> bool:
        return self.target.isatty()

    @property
    def encoding(self) -> str:  # type: ignore[override]
        return getattr(self.target, "encoding", "utf-8")


class LocalMetrics:
    """The collector, its registry and the exposition the API port serves at `GET /metrics`."""

    content_type = CONTENT_TYPE_LATEST

    def __init__(self, collector: EmfCollector | None = None) -> None:
        self.collector = collector or EmfCollector()
        self.registry = CollectorRegistry(auto_describe=False)
        self.registry.register(self.collector)

    def exposition(self) -> bytes:
        return generate_latest(self.registry)

    def install(self, stream: Any, show_emf: bool | None = None) -> EmfTee:
        """Wrap `stream` (sys.stdout): returns the tee to assign in its place."""
        if isinstance(stream, EmfTee):
            return stream
        return EmfTee(stream, self.collector, show_emf)


_process_metrics: LocalMetrics | None = None
_process_lock = threading.Lock()


def local_metrics() -> LocalMetrics:
    """The process's metrics view (every function of the local runtime shares one process and one stdout)."""
    global _process_metrics
    with _process_lock:
        if _process_metrics is None:
            _process_metrics = LocalMetrics()
        return _process_metrics


def install_stdout() -> EmfTee | None:
    """Put the process's tee on sys.stdout; returns it when this call installed it (None: already there)."""
    if isinstance(sys.stdout, EmfTee):
        return None
    tee = local_metrics().install(sys.stdout)
    sys.stdout = tee
    return tee


def uninstall_stdout(tee: EmfTee | None) -> None:
    """Undo `install_stdout` (only the tee it installed, and only while it is still sys.stdout)."""
    if tee is not None and sys.stdout is tee:
        sys.stdout = tee.target
