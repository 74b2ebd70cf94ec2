"""The template loader (short tags, intrinsics, specs) and the schedule expressions it carries."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import cast

import pytest

from gtvision_local import schedule
from gtvision_local.cfn import load_yaml
from gtvision_local.template import ApiEvent, ScheduleEvent, SqsEvent, Template, load_template

FIXTURE = Path(__file__).parents[1] / "fixtures" / "local_runtime" / "template.yaml"
ENDPOINT = "http://127.0.0.1:4566"


@pytest.fixture
def template() -> Template:
    return Template(FIXTURE, endpoint_url=ENDPOINT)


def test_short_tags_become_long_form() -> None:
    doc = load_yaml(
        "a: !Ref X\nb: !GetAtt Q.Arn\nc: !Sub 'x-${Y}'\nd: !Join [',', [!Ref X, b]]\n"
        "e: !If [C, 1, 2]\nf: !Condition C\ng: !GetAtt [Q, QueueName]\n"
    )
    assert doc == {
        "a": {"Ref": "X"},
        "b": {"Fn::GetAtt": ["Q", "Arn"]},
        "c": {"Fn::Sub": "x-${Y}"},
        "d": {"Fn::Join": [",", [{"Ref": "X"}, "b"]]},
        "e": {"Fn::If": ["C", 1, 2]},
        "f": {"Condition": "C"},
        "g": {"Fn::GetAtt": ["Q", "QueueName"]},
    }


def test_globals_env_resolves_ref_getatt_sub_join_if(template: Template) -> None:
    env = template.globals_env()
    assert env["BUCKET"] == "fixture-uploads"
    assert env["WORK_QUEUE_URL"] == f"{ENDPOINT}/123456789012/fixture-work"
    assert env["WORK_QUEUE_ARN"] == "arn:aws:sqs:us-east-1:123456789012:fixture-work"
    assert env["WORK_QUEUE_NAME"] == "fixture-work"
    assert env["TOPIC_ARN"] == "arn:aws:sns:us-east-1:123456789012:fixture-notices"
    assert env["TOPIC_NAME"] == "fixture-notices"
    assert env["REGION_SUB"] == "us-east-1/123456789012/aws/fixture"
    assert env["LITERAL_SUB"] == "${NotAVar}-fixture"
    assert env["SUB_WITH_VARS"] == "fixture-work@fixture"
    assert env["JOINED"] == "fixture-dev-x"
    assert env["STAGE_LABEL"] == "development"


def test_parameters_can_be_overridden() -> None:
    template = Template(FIXTURE, parameters={"Prefix": "other", "Stage": "prod"}, endpoint_url=ENDPOINT)
    env = template.globals_env()
    assert env["BUCKET"] == "other-uploads"
    assert env["STAGE_LABEL"] == "production"
    with pytest.raises(ValueError, match="unknown template parameters"):
        Template(FIXTURE, parameters={"Nope": "x"})


def test_functions_and_their_events(template: Template) -> None:
    worker = template.function("WorkerFunction")
    assert worker.code_uri == FIXTURE.parent / "functions" / "worker"
    assert worker.handler == "handler.handle"
    assert worker.timeout == 10  # from Globals
    assert worker.env["WORKER_ONLY"] == "yes" and worker.env["BUCKET"] == "fixture-uploads"
    assert worker.events == [SqsEvent("Work", "WorkQueue", 3, ("ReportBatchItemFailures",))]
    assert cast(SqsEvent, worker.events[0]).reports_batch_item_failures
    (bulk,) = template.function("BulkFunction").events_of(SqsEvent)
    assert (bulk.batch_size, bulk.batching_window) == (25, 1)

    tick = template.function("TickFunction")
    assert tick.timeout == 60
    assert tick.events == [
        ScheduleEvent("EveryMinute", "rate(1 minute)"),
        ScheduleEvent("Nightly", "cron(0 3 * * ? *)", True, '{"kind": "nightly"}'),
        ScheduleEvent("Disabled", "rate(1 day)", enabled=False),
    ]
    web = template.function("WebFunction")
    assert ApiEvent("GetThing", "/v1/things/{thing_id}", "GET") in web.events
    with pytest.raises(KeyError, match="NoSuchFunction"):
        template.function("NoSuchFunction")


def test_queues_buckets_topics(template: Template) -> None:
    queues = {q.logical_id: q for q in template.queues()}
    work = queues["WorkQueue"]
    assert (work.name, work.visibility_timeout) == ("fixture-work", 120)
    assert work.redrive is not None
    assert (work.redrive.dlq, work.redrive.dlq_name, work.redrive.max_receive_count) == (
        "WorkDLQ",
        "fixture-work-dlq",
        2,
    )
    assert queues["WorkDLQ"].redrive is None
    (bucket,) = template.buckets()
    assert bucket.name == "fixture-uploads"
    (notification,) = bucket.queue_notifications
    assert notification.queue_arn == "arn:aws:sqs:us-east-1:123456789012:fixture-uploads"
    assert notification.filter_rules == (("prefix", "recordings/"),)
    assert [(t.name, t.arn) for t in template.topics()] == [
        ("fixture-notices", "arn:aws:sns:us-east-1:123456789012:fixture-notices")
    ]


def test_real_template_loads() -> None:
    template = load_template()
    queues = {q.logical_id: q for q in template.queues()}
    assert queues["SegmentUploadQueue"].redrive is not None
    assert template.globals_env()["RECORDINGS_BUCKET"] == "gtvision-recordings"
    assert template.function("ApiFunction").handler == "app.handler"


# ---------------------------------------------------------------- schedule expressions

NOON = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)  # a Monday


@pytest.mark.parametrize(
    ("expression", "period"),
    [("rate(1 minute)", 60), ("rate(5 minutes)", 300), ("rate(1 hour)", 3600), ("rate(2 days)", 172800)],
)
def test_rate(expression: str, period: int) -> None:
    rate = schedule.parse(expression)
    assert rate == schedule.Rate(timedelta(seconds=period))
    assert rate.next_after(NOON, NOON) == NOON + timedelta(seconds=period)
    assert rate.next_after(NOON + timedelta(seconds=period), NOON) == NOON + timedelta(seconds=2 * period)


@pytest.mark.parametrize(
    ("expression", "after", "expected"),
    [
        ("cron(0 3 * * ? *)", NOON, datetime(2026, 11, 24, 3, 0, tzinfo=UTC)),
        ("cron(0/15 * * * ? *)", NOON, datetime(2026, 11, 23, 12, 15, tzinfo=UTC)),
        ("cron(5/20 * * * ? *)", NOON, datetime(2026, 11, 23, 12, 5, tzinfo=UTC)),
        ("cron(0 8-10 ? * SAT,SUN *)", NOON, datetime(2026, 11, 28, 8, 0, tzinfo=UTC)),
        ("cron(30 2 1 * ? *)", NOON, datetime(2026, 12, 1, 2, 30, tzinfo=UTC)),
        ("cron(0 0 1 JAN ? *)", NOON, datetime(2027, 1, 1, 0, 0, tzinfo=UTC)),
        ("cron(0 12 ? * 2 *)", NOON, datetime(2026, 11, 30, 12, 0, tzinfo=UTC)),  # 2 = MON
        ("cron(0 0 29 2 ? *)", NOON, datetime(2028, 2, 29, 0, 0, tzinfo=UTC)),
        ("cron(0 0 1 1 ? 2026)", NOON, None),
    ],
)
def test_cron_next_fire(expression: str, after: datetime, expected: datetime | None) -> None:
    assert schedule.parse(expression).next_after(after, after) == expected


@pytest.mark.parametrize(
    "expression",
    [
        "cron(0 3 * * *)",  # five fields (unix cron)
        "cron(0 3 * * * *)",  # both day fields set
        "cron(0 3 L * ? *)",  # L is not supported
        "cron(61 3 * * ? *)",
        "rate(1 minutes)",
        "rate(2 minute)",
        "rate(0 minutes)",
        "every 5 minutes",
    ],
)
def test_bad_expressions_are_refused(expression: str) -> None:
    with pytest.raises(schedule.ScheduleError):
        schedule.parse(expression)


# ---------------------------------------------------------------- routes sync


def test_event_names_from_method_and_path() -> None:
    from gtvision_local.routes import event_name

    assert event_name("/v1/cameras/{camera_id}/timeline", "GET") == "GetV1CamerasByCameraIdTimeline"
    assert event_name("/v1/cameras/{id}/playback.m3u8", "get") == "GetV1CamerasByIdPlaybackM3u8"
    assert event_name("/v1/clips/{id}/hold", "DELETE") == "DeleteV1ClipsByIdHold"


def test_routes_block_is_regenerated_from_the_chalice_app(template: Template) -> None:
    from gtvision_local.routes import app_routes, synced_text, template_routes

    # The fixture's block was generated from its chalice app: syncing changes nothing
    routes = app_routes(template, "ChaliceFunction")
    assert routes == [("/v1/cameras/{camera_id}", "GET")] == template_routes(template, "ChaliceFunction")
    text = FIXTURE.read_text()
    assert synced_text(text, routes) == text

    # A new route lands inside the markers, in the block's indentation, and loads back as an Api event
    updated = synced_text(text, routes + [("/v1/cameras/{camera_id}/snapshot.jpg", "POST")])
    assert "        PostV1CamerasByCameraIdSnapshotJpg:\n          Type: Api\n" in updated
    doc = load_yaml(updated)
    events = doc["Resources"]["ChaliceFunction"]["Properties"]["Events"]
    assert events["PostV1CamerasByCameraIdSnapshotJpg"]["Properties"] == {
        "Path": "/v1/cameras/{camera_id}/snapshot.jpg",
        "Method": "post",
    }
    with pytest.raises(ValueError, match="BEGIN API ROUTES"):
        synced_text("Resources: {}\n", routes)
