"""The local runtime against a real moto server over HTTP, with the fixture template's tiny handlers."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import unquote_plus

import pytest
from moto.server import ThreadedMotoServer

from gtvision_local.ports import free_port as _free_port
from gtvision_local.resources import aws_client, create_resources
from gtvision_local.runtime import Runtime
from gtvision_local.sqs import SqsPoller
from gtvision_local.template import Template

FIXTURE = Path(__file__).parents[1] / "fixtures" / "local_runtime" / "template.yaml"
RECORDER = [sys.executable, "-m", "gtvision_local.cli", "local", "recorder"]


@pytest.fixture(scope="module")
def moto_endpoint() -> Iterator[str]:
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


class FakeClock:
    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@pytest.fixture
def template(moto_endpoint: str) -> Template:
    # A fresh prefix per test: moto's state is shared by the whole process.
    return Template(FIXTURE, parameters={"Prefix": f"fx-{uuid.uuid4().hex[:8]}"}, endpoint_url=moto_endpoint)


@pytest.fixture
def runtime(template: Template, monkeypatch: pytest.MonkeyPatch) -> Iterator[Runtime]:
    monkeypatch.setenv("GTV_LOCAL_VISIBILITY_TIMEOUT", "1")
    monkeypatch.delenv("GTV_LOCAL_FIRE_SCHEDULES_AT_START", raising=False)
    create_resources(template)
    rt = Runtime(template, api_port=0)
    for logical_id in ("WorkerFunction", "SegmentFunction", "TickFunction"):
        module = _module(rt, logical_id)
        for name in ("INVOCATIONS", "EVENTS"):
            getattr(module, name, []).clear()
    yield rt
    rt.stop()


def _module(rt: Runtime, logical_id: str) -> Any:
    return sys.modules[rt.handler(logical_id).__module__]


def _poller(rt: Runtime, function_id: str) -> SqsPoller:
    return next(p for p in rt.pollers if p.function.logical_id == function_id)


def _bodies(template: Template, queue_id: str) -> list[str]:
    """Drain what is visible in a queue (deleting it)."""
    sqs = aws_client("sqs", template.endpoint_url)
    url = template.queue_url(queue_id)
    bodies = []
    while messages := sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages"):
        for m in messages:
            bodies.append(m["Body"])
            sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])
    return bodies


def _send(template: Template, queue_id: str, *bodies: str) -> None:
    sqs = aws_client("sqs", template.endpoint_url)
    sqs.send_message_batch(
        QueueUrl=template.queue_url(queue_id),
        Entries=[{"Id": str(i), "MessageBody": body} for i, body in enumerate(bodies)],
    )


def _counts(template: Template, queue_id: str) -> tuple[int, int]:
    attrs = aws_client("sqs", template.endpoint_url).get_queue_attributes(
        QueueUrl=template.queue_url(queue_id),
        AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
    )["Attributes"]
    return int(attrs["ApproximateNumberOfMessages"]), int(attrs["ApproximateNumberOfMessagesNotVisible"])


# ---------------------------------------------------------------- SQS


def test_poison_record_fails_alone_and_ends_in_the_dlq(runtime: Runtime, template: Template) -> None:
    # Given a batch of three where one record is poison
    _send(template, "WorkQueue", "ok-1", "poison", "ok-2")
    poller = _poller(runtime, "WorkerFunction")

    # When the poller delivers it once
    assert poller.poll_once() == 3

    # Then the handler saw the whole batch with Lambda's record shape, and only the poison one is left
    record_batch = _module(runtime, "WorkerFunction").INVOCATIONS
    assert sorted(record_batch[0]) == ["ok-1", "ok-2", "poison"]
    assert _counts(template, "WorkQueue") == (0, 1)

    # When it reappears after the visibility timeout and fails again (maxReceiveCount = 2)
    time.sleep(1.2)
    assert poller.poll_once() == 1
    assert record_batch[1] == ["poison"]
    time.sleep(1.2)
    assert poller.poll_once() == 0  # the next receive moves it to the DLQ

    # Then it is in the DLQ, and nothing is left in the queue
    assert _bodies(template, "WorkDLQ") == ["poison"]
    assert _counts(template, "WorkQueue") == (0, 0)


def test_sqs_event_has_lambda_record_fields(runtime: Runtime, template: Template) -> None:
    seen: list[dict[str, Any]] = []
    module = _module(runtime, "WorkerFunction")
    original = module.handle
    module.handle = lambda event, context: seen.append(event)  # noqa: ARG005 - capture the raw event
    runtime._handlers.clear()
    try:
        _send(template, "WorkQueue", "hello")
        _poller(runtime, "WorkerFunction").poll_once()
    finally:
        module.handle = original
        runtime._handlers.clear()
    (record,) = seen[0]["Records"]
    assert record["body"] == "hello"
    assert record["eventSource"] == "aws:sqs"
    assert record["eventSourceARN"] == template.queue_arn("WorkQueue")
    assert record["awsRegion"] == "us-east-1"
    assert record["attributes"]["ApproximateReceiveCount"] == "1"
    assert record["messageId"] and record["receiptHandle"]


def test_batch_size_above_ten_fills_within_the_batching_window(
    runtime: Runtime, template: Template, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GTV_LOCAL_VISIBILITY_TIMEOUT", "30")  # longer than the 1 s batching window
    # Given 30 messages and a source with BatchSize 25 (SQS returns at most 10 per receive)
    for start in range(0, 30, 10):
        _send(template, "BulkQueue", *(f"m{i}" for i in range(start, start + 10)))
    poller = _poller(runtime, "BulkFunction")

    # When polled twice, then the first batch is full and the second has the rest
    assert poller.poll_once() == 25
    assert poller.poll_once() == 5
    batches = _module(runtime, "BulkFunction").INVOCATIONS
    assert sorted(b for batch in batches for b in batch) == sorted(f"m{i}" for i in range(30))
    assert _counts(template, "BulkQueue") == (0, 0)


def test_concurrent_batches_run_in_environments_of_their_own(runtime: Runtime) -> None:
    """As in Lambda, two batches in flight never share module globals (a Powertools BatchProcessor's state)."""
    environments = runtime._environments["WorkerFunction"]
    # When two invocations hold an environment at once, each has its own copy of the handler module
    with environments.lease() as one, environments.lease() as other:
        assert one.__module__ != other.__module__
        assert sys.modules[one.__module__].INVOCATIONS is not sys.modules[other.__module__].INVOCATIONS
    # and one at a time, every invocation gets the first environment (the handler tests inspect)
    with environments.lease() as again:
        assert again is runtime.handler("WorkerFunction")


def test_handler_that_raises_deletes_nothing(runtime: Runtime, template: Template) -> None:
    # Given a batch whose handler raises
    _send(template, "WorkQueue", "a", "boom", "b")

    # When it is delivered
    _poller(runtime, "WorkerFunction").poll_once()

    # Then every message is still in the queue (in flight, back after the visibility timeout)
    assert _counts(template, "WorkQueue") == (0, 3)
    time.sleep(1.2)
    assert sorted(_bodies(template, "WorkQueue")) == ["a", "b", "boom"]


def test_s3_upload_to_recordings_reaches_the_handler(runtime: Runtime, template: Template) -> None:
    # Given a running runtime (real threads polling the emulator)
    runtime.start()
    s3 = aws_client("s3", template.endpoint_url)
    bucket = template.bucket_name("UploadsBucket")

    # When objects are uploaded inside and outside recordings/
    s3.put_object(Bucket=bucket, Key="other/ignored.txt", Body=b"x")
    s3.put_object(Bucket=bucket, Key="recordings/cam-1/2026-11-23_12-00-00-000000.mp4", Body=b"video")

    # Then moto delivers the S3 event to the queue and the handler receives it
    events = _module(runtime, "SegmentFunction").EVENTS
    deadline = time.monotonic() + 15
    keys: list[str] = []
    while time.monotonic() < deadline and not keys:
        time.sleep(0.2)
        for event in list(events):
            for record in event["Records"]:
                body = json.loads(record["body"])
                # S3 URL-encodes keys (moto even encodes "/"); handlers unquote_plus them.
                keys += [unquote_plus(r["s3"]["object"]["key"]) for r in body.get("Records", [])]
    assert keys == ["recordings/cam-1/2026-11-23_12-00-00-000000.mp4"]
    assert _counts(template, "UploadsQueue") == (0, 0)


def test_create_resources_is_idempotent(runtime: Runtime, template: Template) -> None:
    # Given resources already created (by the fixture), when created again
    create_resources(template)

    # Then queues keep their attributes and redrive, and the bucket still notifies the queue
    sqs = aws_client("sqs", template.endpoint_url)
    attrs = sqs.get_queue_attributes(QueueUrl=template.queue_url("WorkQueue"), AttributeNames=["All"])["Attributes"]
    assert attrs["VisibilityTimeout"] == "120"
    assert json.loads(attrs["RedrivePolicy"]) == {
        "deadLetterTargetArn": template.queue_arn("WorkDLQ"),
        "maxReceiveCount": 2,
    }
    config = aws_client("s3", template.endpoint_url).get_bucket_notification_configuration(
        Bucket=template.bucket_name("UploadsBucket")
    )
    (queue_config,) = config["QueueConfigurations"]
    assert queue_config["QueueArn"] == template.queue_arn("UploadsQueue")
    rules = [(r["Name"].lower(), r["Value"]) for r in queue_config["Filter"]["Key"]["FilterRules"]]
    assert rules == [("prefix", "recordings/")]
    topics = aws_client("sns", template.endpoint_url).list_topics()["Topics"]
    assert {"TopicArn": template.topic_arn("NoticesTopic")} in topics
    # Re-putting the configuration would send a second s3:TestEvent; only the first one is there.
    test_events = [b for b in _bodies(template, "UploadsQueue") if '"s3:TestEvent"' in b]
    assert len(test_events) == 1


# ---------------------------------------------------------------- schedules


def test_rate_schedule_fires_with_an_injected_clock(template: Template, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("GTV_LOCAL_FIRE_SCHEDULES_AT_START", raising=False)
    clock = FakeClock(datetime(2026, 11, 23, 12, 0, 30, tzinfo=UTC))
    rt = Runtime(template, api_port=0, clock=clock)
    events = _module(rt, "TickFunction").EVENTS
    events.clear()

    # Nothing is due before a minute has passed
    assert rt.scheduler.tick() == []
    clock.advance(seconds=59)
    assert rt.scheduler.tick() == []

    # A minute after start, the rate(1 minute) schedule fires once with an EventBridge event
    clock.advance(seconds=1)
    assert rt.scheduler.tick() == [("TickFunction", datetime(2026, 11, 23, 12, 1, 30, tzinfo=UTC))]
    (event,) = events
    assert event["detail-type"] == "Scheduled Event"
    assert event["source"] == "aws.events"
    assert event["time"] == "2026-11-23T12:01:30Z"
    assert event["resources"] == ["arn:aws:events:us-east-1:123456789012:rule/TickFunctionEveryMinute"]

    # Missed fires coalesce into one; the cron(0 3 * * ? *) one passes its constant Input
    clock.now = datetime(2026, 11, 24, 3, 0, 5, tzinfo=UTC)
    fired = rt.scheduler.tick()
    assert [f[0] for f in fired] == ["TickFunction", "TickFunction"]
    assert events[-1] == {"kind": "nightly"}
    assert rt.scheduler.tick() == []
    rt.stop()


def test_fire_schedules_at_start(template: Template, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GTV_LOCAL_FIRE_SCHEDULES_AT_START", "1")
    clock = FakeClock(datetime(2026, 11, 23, 12, 0, tzinfo=UTC))
    rt = Runtime(template, api_port=0, clock=clock)
    _module(rt, "TickFunction").EVENTS.clear()
    # The two enabled schedules fire once each at once; the disabled one never does.
    assert len(rt.scheduler.tick()) == 2
    assert rt.scheduler.tick() == []
    rt.stop()


# ---------------------------------------------------------------- API gateway


def _request(
    url: str, method: str = "GET", body: bytes | None = None, headers: dict[str, str] | None = None
) -> tuple[int, dict[str, str], bytes, Any]:
    req = urllib.request.Request(url, data=body, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=10) as resp:
            return resp.status, dict(resp.headers), resp.read(), resp.headers
    except urllib.error.HTTPError as err:
        return err.code, dict(err.headers), err.read(), err.headers


@pytest.fixture
def api(runtime: Runtime) -> str:
    runtime.start()
    assert runtime.gateway is not None
    return runtime.gateway.url


def test_gateway_routes_path_params_and_query(api: str) -> None:
    status, headers, body, raw_headers = _request(f"{api}/v1/things/t%C3%A9-42?x=1&x=2&y=z")
    assert status == 200
    echo = json.loads(body)
    assert echo["resource"] == "/v1/things/{thing_id}"
    assert echo["path"] == "/v1/things/té-42"
    assert echo["pathParameters"] == {"thing_id": "té-42"}
    assert echo["query"] == {"x": "2", "y": "z"}
    assert echo["multiQuery"] == {"x": ["1", "2"], "y": ["z"]}
    assert echo["stage"] == "local"
    assert echo["sourceIp"] == "127.0.0.1"
    assert echo["function"] == "WebFunction"
    assert raw_headers.get_all("X-Echo") == ["a", "b"]
    assert headers["Access-Control-Allow-Origin"] == "*"


def test_gateway_literal_segment_wins_over_parameter(api: str) -> None:
    status, _, body, _ = _request(f"{api}/v1/things/special")
    assert status == 200
    assert json.loads(body)["resource"] == "/v1/things/special"
    assert json.loads(body)["pathParameters"] is None


def test_gateway_binary_body_round_trips(api: str) -> None:
    payload = bytes(range(256))
    status, headers, body, _ = _request(
        f"{api}/v1/things", "POST", payload, {"Content-Type": "application/octet-stream"}
    )
    assert status == 201
    assert headers["Content-Type"] == "application/octet-stream"
    assert body == payload[::-1]


def test_gateway_refuses_bodies_over_10_mb_without_reading_them(api: str) -> None:
    """API Gateway's payload limit: a 12 MB body is a 413 from the gateway; no function sees it."""
    import socket

    host, port = urllib.parse.urlsplit(api).netloc.split(":")
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        # Only the headers and a few bytes are sent: the answer must not wait for the other 12 MB.
        sock.sendall(b"POST /v1/things HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                     b"Content-Length: 12582912\r\n\r\n{\"a\": ")  # fmt: skip
        chunks = []
        while chunk := sock.recv(65536):  # the gateway closes the connection after answering
            chunks.append(chunk)
        reply = b"".join(chunks).decode()
    assert reply.startswith("HTTP/1.1 413"), reply
    assert '"payload_too_large"' in reply


def test_gateway_unknown_path_and_wrong_method(api: str) -> None:
    status, _, body, _ = _request(f"{api}/v1/nothing-here")
    assert status == 404
    assert json.loads(body)["error"]["code"] == "not_found"

    status, headers, body, _ = _request(f"{api}/v1/things", "DELETE")
    assert status == 405
    assert json.loads(body)["error"]["code"] == "method_not_allowed"
    assert headers["Allow"] == "POST"

    status, headers, _, _ = _request(f"{api}/v1/things", "OPTIONS")
    assert status == 204
    assert "Authorization" in headers["Access-Control-Allow-Headers"]


def test_gateway_handler_error_is_a_502_in_the_error_shape(api: str) -> None:
    status, _, body, _ = _request(f"{api}/v1/broken")
    assert status == 502
    assert json.loads(body)["error"]["code"] == "internal_error"


def test_gateway_drives_a_chalice_app(api: str) -> None:
    status, _, body, _ = _request(f"{api}/v1/cameras/cam-7?q=hello")
    assert status == 200
    assert json.loads(body) == {"id": "cam-7", "q": "hello"}


def test_runtime_stops_cleanly(runtime: Runtime) -> None:
    runtime.start()
    started = time.monotonic()
    runtime.stop()
    assert time.monotonic() - started < 5
    assert not runtime._threads


# ---------------------------------------------------------------- CLI


def test_cli_events_piped_into_invoke(moto_endpoint: str, tmp_path: Path) -> None:

    env = {
        **os.environ,
        "DATABASE_URL": "postgresql://unused/db",  # the fixture functions never connect
        "AWS_ENDPOINT_URL": moto_endpoint,
        "GTV_JWT_SECRET": "s",
        "GTV_DATA_KEY": "k",
    }
    cli = [sys.executable, "-m", "gtvision_local.cli", "local"]
    sample = subprocess.run(
        [*cli, "events", "--template", str(FIXTURE), "sqs", "--queue", "WorkQueue", "--body", "ok", "--body", "poison"],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
        check=True,
    )
    event = json.loads(sample.stdout)
    assert event["Records"][1]["eventSourceARN"] == "arn:aws:sqs:us-east-1:123456789012:fixture-work"

    result = subprocess.run(
        [*cli, "invoke", "WorkerFunction", "--template", str(FIXTURE), "--event", "-"],
        input=sample.stdout,
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
    )
    assert result.returncode == 0, result.stderr
    assert "worker got 2 records" in result.stderr  # the function's prints never mix with the JSON result
    assert json.loads(result.stdout) == {"batchItemFailures": [{"itemIdentifier": event["Records"][1]["messageId"]}]}

    failing = subprocess.run(
        [*cli, "invoke", "WorkerFunction", "--template", str(FIXTURE), "--event", "-"],
        input=json.dumps({"Records": [{"body": "boom", "messageId": "1"}]}),
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
    )
    assert failing.returncode == 1
    assert json.loads(failing.stdout)["errorType"] == "RuntimeError"
    assert "ERROR [WorkerFunction] invocation" in failing.stderr  # log lines name the function


def test_cli_invoke_the_operators_setting_wins_over_the_templates(moto_endpoint: str) -> None:
    # Given a function whose template environment sets GTV_RECORDING_STALL_S: "180", and an operator who wants 5
    env = {
        **os.environ,
        "DATABASE_URL": "postgresql://unused/db",
        "AWS_ENDPOINT_URL": moto_endpoint,
        "GTV_JWT_SECRET": "s",
        "GTV_DATA_KEY": "k",
        "GTV_RECORDING_STALL_S": "5",
    }
    # When the function runs through `gtvision local invoke`
    result = subprocess.run(
        [sys.executable, "-m", "gtvision_local.cli", "local", "invoke", "TickFunction", "--template", str(FIXTURE)],
        input="{}",
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
    )
    # Then the function sees the operator's value
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["stall_s"] == "5"


def test_cli_recorder_with_only_the_endpoint_exported_signs_with_the_stacks_credentials(
    moto_endpoint: str, tmp_path: Path
) -> None:
    # Given an operator's shell with AWS_ENDPOINT_URL exported and no AWS credentials anywhere
    aws_client("s3", moto_endpoint).create_bucket(Bucket="fx-recorder")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "GTV_LOCAL_DIR"))}
    env.update(
        AWS_ENDPOINT_URL=moto_endpoint,
        AWS_SHARED_CREDENTIALS_FILE=str(tmp_path / "none"),
        AWS_CONFIG_FILE=str(tmp_path / "none"),
        HOME=str(tmp_path),
        GTV_LOCAL_DIR=str(tmp_path / "state"),
    )
    camera = str(uuid.uuid4())

    # When the recorder records two seconds of a test pattern
    result = subprocess.run(
        [*RECORDER, "--camera", camera, "--source", "lavfi:testsrc2=size=160x90:rate=10", "--segment-seconds", "1"]
        + ["--duration", "2", "--bucket", "fx-recorder"],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
    )

    # Then it uploads its segments instead of failing on "Unable to locate credentials"
    assert result.returncode == 0, result.stderr
    assert "Unable to locate credentials" not in result.stderr
    listed = aws_client("s3", moto_endpoint).list_objects_v2(Bucket="fx-recorder", Prefix=f"recordings/{camera}/")
    assert listed.get("KeyCount", 0) >= 1


# ---------------------------------------------------------------- the whole stack


def test_local_stack_starts_serves_and_stops(database_url: str, tmp_path: Path) -> None:

    from gtvision_local.stack import LocalStack

    root = tmp_path / "repo"
    shutil.copytree(FIXTURE.parent, root)
    port = _free_port()
    saved = dict(os.environ)
    os.environ["AWS_ENDPOINT_URL"] = f"http://127.0.0.1:{port}"
    os.environ.pop("GTV_EXTERNAL_AWS", None)
    stack = LocalStack(root, api_port=0)
    try:
        # Given the stack is up against the test database and its own moto
        stack.start()

        # Then the env points functions at it, the state file says where it is, and the API answers
        assert os.environ["GTV_LOCAL"] == "1"
        assert os.environ["DATABASE_URL"] == database_url
        assert os.environ["AWS_ENDPOINT_URL"] == f"http://127.0.0.1:{port}"
        assert os.environ["WORK_QUEUE_URL"] == f"http://127.0.0.1:{port}/123456789012/fixture-work"
        state = json.loads((root / ".local" / "stack.json").read_text())
        assert state["database_url"] == database_url
        assert state["api_url"] == stack.api_url
        status, _, body, _ = _request(f"{stack.api_url}/v1/cameras/cam-1")
        assert (status, json.loads(body)["id"]) == (200, "cam-1")
        assert "WorkerFunction" in stack.banner()
        # The secrets came from env (conftest), so none were generated into .local
        assert not (root / ".local" / "secrets.json").exists()
    finally:
        stack.stop()
        os.environ.clear()
        os.environ.update(saved)
        from gtvision.core.settings import get_settings

        get_settings.cache_clear()
    # When stopped, the state file is gone and the emulator port is free again
    assert not (root / ".local" / "stack.json").exists()
    with socket.socket() as sock:
        assert sock.connect_ex(("127.0.0.1", port)) != 0


def _local_up(database_url: str, tmp_path: Path) -> tuple[subprocess.Popen[str], Path, int]:
    """`gtvision local up` on a copy of the fixture template: (process, repo copy, API port)."""
    root = tmp_path / "repo"
    shutil.copytree(FIXTURE.parent, root)
    ports = [_free_port(), _free_port()]
    env = {**os.environ, "DATABASE_URL": database_url, "AWS_ENDPOINT_URL": f"http://127.0.0.1:{ports[0]}"}
    env.pop("GTV_EXTERNAL_AWS", None)
    cmd = [sys.executable, "-m", "gtvision_local.cli", "local", "up", "--template", str(root / "template.yaml")]
    proc = subprocess.Popen(
        [*cmd, "--api-port", str(ports[1])], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env
    )
    return proc, root, ports[1]


def _read_until(proc: subprocess.Popen[str], marker: str) -> str:
    """The process's output up to the first line holding `marker` (or its end), within 60 s."""
    lines = []
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        line = proc.stdout.readline()  # type: ignore[union-attr]
        lines.append(line)
        if not line or marker in line:
            break
    return "".join(lines)


def _stopped(proc: subprocess.Popen[str]) -> None:
    if proc.poll() is None:
        proc.kill()
        proc.wait(5)


def test_cli_up_stops_cleanly_on_a_signal_sent_as_soon_as_the_banner_shows(database_url: str, tmp_path: Path) -> None:
    # Regression (CI run of stop 28): the handlers were installed only after the banner was printed, so a
    # SIGTERM sent as soon as the banner showed could kill the process with the default action (exit -15).
    proc, root, _ = _local_up(database_url, tmp_path)
    try:
        # Given `gtvision local up` whose banner has just begun to show
        output = _read_until(proc, "GT-Vision local stack")
        assert "GT-Vision local stack" in output, output
        # When SIGTERM arrives at once, then it still stops cleanly: exit 0 and no stack file left
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=30) == 0
    finally:
        _stopped(proc)
    assert not (root / ".local" / "stack.json").exists()


@pytest.mark.parametrize("signum", ["SIGTERM", "SIGINT"])
def test_cli_up_serves_until_signalled_and_exits_0(database_url: str, tmp_path: Path, signum: str) -> None:
    # Given `gtvision local up` running on the fixture template
    proc, root, api_port = _local_up(database_url, tmp_path)
    try:
        output = _read_until(proc, "Ctrl-C")
        assert f"API            http://127.0.0.1:{api_port}" in output, output
        assert json.loads((root / ".local" / "stack.json").read_text())["database_url"] == database_url
        status, _, body, _ = _request(f"http://127.0.0.1:{api_port}/v1/things/x")
        assert status == 200 and json.loads(body)["function"] == "WebFunction"

        # When it gets the signal, then it stops cleanly with exit code 0
        proc.send_signal(getattr(signal, signum))
        assert proc.wait(timeout=30) == 0
    finally:
        _stopped(proc)
    assert not (root / ".local" / "stack.json").exists()
