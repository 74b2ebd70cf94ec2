"""Poison messages of every queue reach their DLQ; `gtvision local redrive` brings them back.

The local runtime's pollers deliver each queue to its template function; moto moves a message to the
DLQ once its receives pass the template's maxReceiveCount, as SQS does. Poison records are made
visible again at once by the handlers, so they spend their receives in a few polls.
"""

from __future__ import annotations

import json
import os
import time
from typing import Any

import pytest
from psycopg.types.json import Jsonb
from test_clips import clip, drain, recorded, request_clip, scratch, segment_files, sqs  # noqa: F401 - fixtures

from gtvision.core import db
from gtvision.core.settings import get_settings
from gtvision_local import cli
from gtvision_local.redrive import redrive, source_and_dlq

QUEUES = {
    "SegmentUploadFunction": "SegmentUploadQueue",
    "ClipWorkerFunction": "ClipJobsQueue",
    "LprIngestFunction": "LprReadsQueue",
}


@pytest.fixture()
def runtime(stack: dict[str, str]) -> Any:
    from gtvision_local.runtime import Runtime
    from gtvision_local.template import load_template

    rt = Runtime(load_template(endpoint_url=stack["aws_endpoint"]), api_port=0)
    for poller in rt.pollers:
        if poller.function.logical_id not in QUEUES:
            continue
        poller.wait_seconds = 0
        _, dlq = source_and_dlq(rt.template, poller.queue.logical_id)
        drain(poller.queue.url)
        drain(dlq.url)
    return rt


def poller_of(rt: Any, function_id: str) -> Any:
    return next(p for p in rt.pollers if p.function.logical_id == function_id)


def bodies(url: str) -> list[str]:
    """The bodies waiting in a queue (received with visibility 0, so left there)."""
    got = sqs().receive_message(QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=0, WaitTimeSeconds=0)
    return sorted(m["Body"] for m in got.get("Messages", []))


def until_dead_lettered(rt: Any, function_id: str, expected: list[str], polls: int = 100) -> None:
    poller = poller_of(rt, function_id)
    _, dlq = source_and_dlq(rt.template, poller.queue.logical_id)
    for _ in range(polls):
        if bodies(dlq.url) == sorted(expected):
            return
        poller.poll_once()
    assert bodies(dlq.url) == sorted(expected), f"{function_id}: poison not dead-lettered"


def test_poison_of_every_queue_is_dead_lettered_and_redrive_brings_the_fixed_back(
    world: Any,
    recorded: Any,  # noqa: F811 - fixture of test_clips
    runtime: Any,
    scratch: Any,  # noqa: F811 - fixture of test_clips
    tmp_path: Any,
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    # Given a clip whose row is missing while its job runs (restored later: the "fix")
    clip_id = request_clip(world, recorded, 0.0, 2.0)
    drain(poller_of(runtime, "ClipWorkerFunction").queue.url)
    with db.transaction() as conn:
        row = conn.execute("SELECT * FROM clips WHERE id = %s", (clip_id,)).fetchone()
        links = conn.execute("SELECT * FROM clip_segments WHERE clip_id = %s", (clip_id,)).fetchall()
        conn.execute("DELETE FROM clips WHERE id = %s", (clip_id,))
    poison = {
        "SegmentUploadFunction": ["isto não é uma notificação do S3"],
        "ClipWorkerFunction": ["não é json", json.dumps({"clip_id": clip_id})],
        "LprIngestFunction": [json.dumps({"reads": [{"plate": "???"}]})],
    }
    for function_id, messages in poison.items():
        for body in messages:
            sqs().send_message(QueueUrl=poller_of(runtime, function_id).queue.url, MessageBody=body)

    # When their functions get them, every one lands in its queue's DLQ, and the source queues are empty
    for function_id, messages in poison.items():
        until_dead_lettered(runtime, function_id, messages)
        assert bodies(poller_of(runtime, function_id).queue.url) == []
    # and every move was logged, with the failures' reasons
    for dlq in ("gtvision-segment-uploads-dlq", "gtvision-clip-jobs-dlq", "gtvision-lpr-reads-dlq"):
        assert f"failed its last attempt (45 of 45): moved to {dlq}" in caplog.text
    reasons = " | ".join(str(getattr(r, "reason", "")) for r in caplog.records)
    assert "mensagem não é uma notificação S3" in reasons and f"recorte {clip_id} não existe" in reasons

    # When the clip row is restored and its DLQ redriven with the CLI (the others through the module)
    assert isinstance(row, dict)
    with db.transaction() as conn:
        conn.execute(
            f"INSERT INTO clips ({', '.join(row)}) VALUES ({', '.join(['%s'] * len(row))})",
            [Jsonb(v) if isinstance(v, dict | list) else v for v in row.values()],
        )
        for link in links:
            conn.execute(
                "INSERT INTO clip_segments (clip_id, camera_id, segment_start) VALUES (%s, %s, %s)",
                (link["clip_id"], link["camera_id"], link["segment_start"]),
            )
    saved = dict(os.environ)
    os.environ["GTV_LOCAL_DIR"] = str(tmp_path)  # the CLI points the process at the stack: undone below
    try:
        assert cli.main(["local", "redrive", "ClipJobsQueue"]) == 0
    finally:
        os.environ.clear()
        os.environ.update(saved)
        get_settings.cache_clear()
    assert "2 mensagem(ns) devolvida(s)" in capsys.readouterr().out
    assert redrive(runtime.template, "SegmentUploadDLQ") == 1  # a DLQ's own id works too
    assert redrive(runtime.template, "LprReadsQueue") == 1

    # Then the messages are back on their source queues and the DLQs are empty
    for function_id, messages in poison.items():
        poller = poller_of(runtime, function_id)
        assert bodies(poller.queue.url) == sorted(messages)
        assert bodies(source_and_dlq(runtime.template, poller.queue.logical_id)[1].url) == []
    # and the fixed one is made: the clip is ready (the still-broken one heads for the DLQ again)
    worker = poller_of(runtime, "ClipWorkerFunction")
    for _ in range(5):
        if clip(world, clip_id)["status"] == "ready":
            break
        worker.poll_once()
    assert clip(world, clip_id)["status"] == "ready"
    for function_id in QUEUES:
        drain(poller_of(runtime, function_id).queue.url)


def test_redrive_names_unknown_queues() -> None:
    from gtvision_local.template import load_template

    with pytest.raises(ValueError, match="fila desconhecida"):
        redrive(load_template(), "NoSuchQueue")


def test_poison_on_the_events_queue_reaches_its_dlq_in_seconds(
    stack: dict[str, str], caplog: pytest.LogCaptureFixture
) -> None:
    """Fault: malformed live events. They must not spend the queue's 180 s visibility timeout on each of their
    receives (9 minutes to the DLQ): they are poison, made visible again at once."""
    from gtvision_local.runtime import Runtime
    from gtvision_local.template import load_template

    # Given the runtime's poller for EventsNotifierFunction (the queue's own 180 s visibility timeout)
    rt = Runtime(load_template(endpoint_url=stack["aws_endpoint"]), api_port=0)
    poller = poller_of(rt, "EventsNotifierFunction")
    poller.wait_seconds = 0
    _, dlq = source_and_dlq(rt.template, poller.queue.logical_id)
    drain(poller.queue.url)
    drain(dlq.url)

    # When two malformed events are queued
    poison = ["isto não é json", json.dumps({"type": "alert", "data": {}})]  # the second has no city_id
    for body in poison:
        sqs().send_message(QueueUrl=poller.queue.url, MessageBody=body)

    # Then within seconds both are in the events DLQ, each logged as dead-letter bound with its reason
    deadline = time.monotonic() + 30
    while bodies(dlq.url) != sorted(poison):
        assert time.monotonic() < deadline, "poison still on the events queue"
        poller.poll_once()
    assert bodies(poller.queue.url) == []
    reasons = [
        str(getattr(r, "reason", "")) for r in caplog.records if r.getMessage() == "record failed: dead-letter bound"
    ]
    assert any("evento inválido" in reason for reason in reasons)
    drain(dlq.url)
