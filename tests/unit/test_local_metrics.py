"""Local EMF → Prometheus: real Powertools flushes through the stdout tee, read back with the parser."""

from __future__ import annotations

import contextlib
import io

from aws_lambda_powertools import Metrics
from prometheus_client.parser import text_string_to_metric_families

from gtvision_local.metrics import LocalMetrics, prometheus_name


def _samples(exposition: bytes) -> dict[str, float]:
    out = {}
    for family in text_string_to_metric_families(exposition.decode()):
        for sample in family.samples:
            if sample.name.endswith("_created"):
                continue
            out[sample.name] = sample.value
    return out


def test_emf_lines_become_counters_and_gauges() -> None:
    # Given a local metrics view on a stdout, and a function's Powertools Metrics
    local = LocalMetrics()
    printed = io.StringIO()
    tee = local.install(printed, show_emf=False)
    metrics = Metrics(namespace="GTVision", service="gtvision")

    # When two invocations flush (counts 2 then 3; the fleet snapshot 10 then 7)
    with contextlib.redirect_stdout(tee):
        for count, online in ((2, 10), (3, 7)):
            metrics.add_metric(name="SegmentsRegistered", unit="Count", value=count)
            metrics.add_metric(name="CamerasOnline", unit="Count", value=online)
            metrics.flush_metrics()
        print("a plain log line {not EMF}")

    # Then the counts add up, the snapshot keeps its last value; EMF stays out of the log, the rest is printed
    samples = _samples(local.exposition())
    assert samples["gtvision_segments_registered_total"] == 5
    assert samples["gtvision_cameras_online"] == 7
    assert local.collector.lines == 2
    assert '"_aws"' not in printed.getvalue() and printed.getvalue() == "a plain log line {not EMF}\n"


def test_prometheus_names() -> None:
    assert prometheus_name("GTVision", "RecordingLagMaxSeconds") == "gtvision_recording_lag_max_seconds"
    assert prometheus_name("GTVision", "Clips_ready") == "gtvision_clips_ready"
    assert prometheus_name("GTVision", "LprAlert_camera_offline") == "gtvision_lpr_alert_camera_offline"
