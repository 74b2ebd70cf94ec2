"""The AWS metrics the CloudWatch alarms read, served locally at GET /metrics (gtvision_local.platform_metrics):
invocations and errors as Lambda counts them, API answers as API Gateway counts them, queue depth and oldest
message age as SQS reports them. The fixture template's tiny handlers behind the real gateway, moto over HTTP."""

from __future__ import annotations

import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from moto.server import ThreadedMotoServer
from prometheus_client.parser import text_string_to_metric_families

from gtvision_local.platform_metrics import ObservedRuntime, is_disk_error
from gtvision_local.resources import aws_client, create_resources
from gtvision_local.template import Template

FIXTURE = Path(__file__).parents[1] / "fixtures" / "local_runtime" / "template.yaml"


@pytest.fixture(scope="module")
def endpoint() -> Iterator[str]:
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture
def runtime(endpoint: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[ObservedRuntime]:
    monkeypatch.delenv("GTV_LOCAL_FIRE_SCHEDULES_AT_START", raising=False)
    template = Template(FIXTURE, parameters={"Prefix": f"pm-{uuid.uuid4().hex[:8]}"}, endpoint_url=endpoint)
    create_resources(template)
    rt = ObservedRuntime(template, api_port=0)
    rt.start()
    yield rt
    rt.stop()


def _scrape(rt: ObservedRuntime) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    assert rt.gateway is not None
    with urllib.request.urlopen(f"{rt.gateway.url}/metrics", timeout=10) as reply:
        text = reply.read().decode()
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def _status(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=10) as reply:
            return int(reply.status)
    except urllib.error.HTTPError as err:
        return err.code


def test_invocations_errors_and_api_answers_are_counted_as_lambda_and_api_gateway_count_them(
    runtime: ObservedRuntime,
) -> None:
    before = _scrape(runtime)
    assert runtime.gateway is not None
    # When the API answers once and its function fails once, and a worker's batch fails
    assert _status(f"{runtime.gateway.url}/v1/things/abc") == 200
    assert _status(f"{runtime.gateway.url}/v1/broken") == 502
    with pytest.raises(RuntimeError):
        runtime.invoke("WorkerFunction", {"Records": [{"body": "boom"}]})
    after = _scrape(runtime)

    def delta(name: str, **labels: str) -> float:
        key = (name, tuple(sorted(labels.items())))
        return after.get(key, 0.0) - before.get(key, 0.0)

    # Then Lambda's counts: 2 invocations and 1 error of the API function, 1 error of the worker
    assert delta("aws_lambda_invocations_total", function_name="WebFunction") == 2
    assert delta("aws_lambda_errors_total", function_name="WebFunction") == 1
    assert delta("aws_lambda_errors_total", function_name="WorkerFunction") == 1
    assert delta("aws_lambda_duration_seconds_count", function_name="WorkerFunction") == 1
    # And API Gateway's: one 200 and one 502 (the function raised), both timed
    assert delta("aws_apigateway_requests_total", status="200") == 1
    assert delta("aws_apigateway_requests_total", status="502") == 1
    assert delta("aws_apigateway_latency_seconds_count") == 2
    # And no disk error among them; every function has its error series from the start (increase() sees the 1st)
    assert delta("gtvision_local_disk_errors_total", function_name="WorkerFunction") == 0
    assert ("aws_lambda_errors_total", (("function_name", "TickFunction"),)) in after
    # And the functions' scratch disk is measured
    free = after[("gtvision_local_scratch_free_bytes", ())]
    assert 0 < free <= after[("gtvision_local_scratch_size_bytes", ())]


def test_queue_depth_and_the_age_of_the_oldest_message_are_served_per_queue(runtime: ObservedRuntime) -> None:
    template = runtime.template
    dlq = next(q for q in template.queues() if q.logical_id == "WorkDLQ")
    sqs = aws_client("sqs", runtime.endpoint_url)
    # When two messages wait in the dead-letter queue
    for body in ("um", "dois"):
        sqs.send_message(QueueUrl=dlq.url, MessageBody=body)
    sent = time.time()
    time.sleep(1.1)  # lets the oldest message age past a second
    metrics = _scrape(runtime)

    # Then it is served as a dead-letter queue with 2 visible, its oldest message about as old as the wait
    key = (("dead_letter", "true"), ("queue", "WorkDLQ"), ("queue_name", dlq.name))
    assert metrics[("aws_sqs_approximate_number_of_messages_visible", key)] == 2
    assert metrics[("aws_sqs_approximate_number_of_messages_not_visible", key)] == 0
    age = metrics[("aws_sqs_approximate_age_of_oldest_message_seconds", key)]
    assert 1.0 <= age <= time.time() - sent + 1
    # And its source queue is not a dead-letter queue, and empty (age 0)
    work = next(q for q in template.queues() if q.logical_id == "WorkQueue")
    source = (("dead_letter", "false"), ("queue", "WorkQueue"), ("queue_name", work.name))
    assert metrics[("aws_sqs_approximate_number_of_messages_visible", source)] == 0
    assert metrics[("aws_sqs_approximate_age_of_oldest_message_seconds", source)] == 0


def test_disk_errors_are_told_from_other_failures_through_the_exception_chain(tmp_path: Path) -> None:
    # A real ENOSPC: writing to /dev/full
    try:
        with open("/dev/full", "w") as full:
            full.write("x")
    except OSError as exc:
        no_space = exc
    assert is_disk_error(no_space)
    try:
        try:
            raise no_space
        except OSError as inner:
            raise RuntimeError("o recorte falhou") from inner
    except RuntimeError as wrapped:
        assert is_disk_error(wrapped)
    try:
        (tmp_path / "missing" / "file").read_text()
    except OSError as not_found:
        assert not is_disk_error(not_found)
    assert not is_disk_error(ValueError("bad input")) and not is_disk_error(None)
