"""The local SQS event sources: how many batches run at once, and what a dead letter's log line says."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from gtvision_local.redrive import dead_letter_consumers_note
from gtvision_local.runtime import Runtime
from gtvision_local.sqs import DEFAULT_CONCURRENCY, concurrency_of
from gtvision_local.template import FunctionSpec, SqsEvent, load_template


def _function(reserved: int | None) -> FunctionSpec:
    return FunctionSpec("F", Path("."), "handler.handler", 30, {}, reserved_concurrency=reserved)


@pytest.mark.parametrize(
    ("maximum", "reserved", "expected"),
    [(20, None, 20), (None, 1, 1), (10, 2, 2), (2, 10, 2), (None, None, DEFAULT_CONCURRENCY)],
)
def test_concurrency_is_the_sources_maximum_bounded_by_the_reserved(
    maximum: int | None, reserved: int | None, expected: int
) -> None:
    event = SqsEvent("E", "Q", maximum_concurrency=maximum)
    assert concurrency_of(_function(reserved), event) == expected


def test_the_template_scaling_configs_reach_the_pollers() -> None:
    runtime = Runtime(load_template(endpoint_url="http://127.0.0.1:1"))
    concurrency = {p.function.logical_id: p.concurrency for p in runtime.pollers}
    assert concurrency["SegmentUploadFunction"] == 20
    assert concurrency["SentinelaDeadLetterFunction"] == 2
    assert concurrency["EventsNotifierFunction"] == 10


def _dead_letter(runtime: Runtime, function_id: str, caplog: pytest.LogCaptureFixture) -> str:
    (poller,) = [p for p in runtime.pollers if p.function.logical_id == function_id]
    assert poller.queue.redrive is not None
    last = str(poller.queue.redrive.max_receive_count)
    record = {"messageId": "m-1", "attributes": {"ApproximateReceiveCount": last}}
    caplog.clear()
    with caplog.at_level(logging.ERROR, logger="gtvision_local"):
        poller._log_dead_lettered([record])
    return caplog.text


def test_a_dead_letter_a_function_consumes_is_not_sent_to_redrive(caplog: pytest.LogCaptureFixture) -> None:
    # Given the template, whose Sentinela DLQ is read by SentinelaDeadLetterFunction and the clip DLQ by nobody
    template = load_template(endpoint_url="http://127.0.0.1:1")
    runtime = Runtime(template)

    # When a Sentinela segment fails its last attempt
    line = _dead_letter(runtime, "SentinelaAnalyseFunction", caplog)

    # Then the line says who takes it and what it does, and sends nobody to a redrive that would move 0
    assert "moved to gtvision-sentinela-analyse-dlq, which SentinelaDeadLetterFunction takes at once" in line
    assert "the segment and its search fail with a reason" in line
    assert "gtvision local redrive SentinelaAnalyseQueue" not in line
    # and `gtvision local redrive` explains its 0 the same way
    note = dead_letter_consumers_note(template, "SentinelaAnalyseQueue")
    assert note is not None and "SentinelaDeadLetterFunction as consome" in note

    # while a dead clip job still points at the redrive that brings it back
    line = _dead_letter(runtime, "ClipWorkerFunction", caplog)
    assert "moved to gtvision-clip-jobs-dlq (gtvision local redrive ClipJobsQueue)" in line
    assert dead_letter_consumers_note(template, "ClipJobsQueue") is None
