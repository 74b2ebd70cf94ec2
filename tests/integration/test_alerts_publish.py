"""Alerts leave in batches: a batch ingest's hundreds of alerts go to the alerts topic ten per SNS PublishBatch and
to the live events queue ten per SQS SendMessageBatch — every alert once, through the emulator's HTTP endpoint
(SNS delivering to a subscribed SQS queue). A partly failed batch (botocore's Stubber: moto always succeeds) is
reported per alert and never raises."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from typing import Any

import pytest
from botocore.stub import Stubber

from gtvision.alerts import service as alerts
from gtvision.alerts import store as alerts_store
from gtvision.alerts.schemas import NewAlert
from gtvision.core import aws, db
from gtvision.core.settings import get_settings


def _alerts(n: int) -> list[Any]:
    city = str(uuid.uuid4())
    with db.transaction() as conn:
        conn.execute("INSERT INTO cities (id, name, state, retention_days) VALUES (%s, %s, 'SP', 30)", (city, city[:8]))
        return alerts.raise_alerts(
            conn,
            [
                NewAlert(
                    city_id=city,
                    kind="watchlist",
                    dedup_key=f"{uuid.uuid4()}:{i}",
                    detail={"reason": "teste", "watch_plate": f"PUB{i:04d}", "match": "exact", "confidence": 0.9},
                    plate=f"PUB{i:04d}",
                    captured_at=datetime.now(UTC),
                    read_ids=[uuid.uuid4()],
                )
                for i in range(n)
            ],
        )


def _receive_all(url: str, expected: int) -> list[dict[str, Any]]:
    sqs, got = aws.client("sqs"), []
    for _ in range(30):
        batch = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=1).get("Messages", [])
        for m in batch:
            sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])
        got += batch
        if len(got) >= expected and not batch:
            break
    return got


def test_23_alerts_reach_the_topic_and_the_events_queue_once_each(
    stack: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    sqs, sns = aws.client("sqs"), aws.client("sns")
    queue_url = sqs.create_queue(QueueName=f"alerts-batch-{uuid.uuid4().hex[:8]}")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    sns.subscribe(TopicArn=get_settings().alerts_topic_arn, Protocol="sqs", Endpoint=arn)
    # An events queue of this test's own (a local runtime left by another test may be draining the stack's)
    events_url = sqs.create_queue(QueueName=f"events-batch-{uuid.uuid4().hex[:8]}")["QueueUrl"]
    monkeypatch.setenv("EVENTS_QUEUE_URL", events_url)
    get_settings.cache_clear()
    created = _alerts(23)
    assert len(created) == 23

    alerts.publish(created)

    on_topic = [json.loads(json.loads(m["Body"])["Message"]) for m in _receive_all(queue_url, 23)]
    assert sorted(a["id"] for a in on_topic) == sorted(str(a.id) for a in created)
    assert {a["kind"] for a in on_topic} == {"watchlist"}
    live = [json.loads(m["Body"]) for m in _receive_all(events_url, 23)]
    assert sorted(e["data"]["id"] for e in live) == sorted(str(a.id) for a in created)
    assert {e["type"] for e in live} == {"alert"}
    monkeypatch.undo()
    get_settings.cache_clear()


def test_a_partly_failed_batch_is_reported_per_alert_and_never_raises(stack: dict[str, str]) -> None:
    created = _alerts(12)
    messages = [alerts.public(a).model_dump(mode="python", by_alias=True) for a in created]
    sns = aws.client("sns")
    with Stubber(sns) as stub:
        stub.add_response(
            "publish_batch",
            {
                "Successful": [{"Id": str(i), "MessageId": str(uuid.uuid4())} for i in range(10) if i != 3],
                "Failed": [{"Id": "3", "Code": "InternalError", "SenderFault": False, "Message": "falhou"}],
            },
        )
        stub.add_client_error("publish_batch", service_error_code="Throttling", http_status_code=400)
        failed = alerts_store.publish_alerts(messages)
        stub.assert_no_pending_responses()
    # entry 3 of the first call, and both alerts of the second call (it failed whole)
    assert sorted(failed) == [3, 10, 11]
    assert failed[3] == "falhou" and "Throttling" in failed[10]
    with Stubber(sns) as stub:
        stub.add_client_error("publish_batch", service_error_code="Throttling", http_status_code=400)
        stub.add_client_error("publish_batch", service_error_code="Throttling", http_status_code=400)
        alerts.publish(created)  # logged and counted, the alerts stay stored
        stub.assert_no_pending_responses()


def test_published_alerts_read_as_the_api_shows_them(stack: dict[str, str]) -> None:
    # publishing builds each alert unvalidated (a batch publishes hundreds): the same document as the API's
    for row in _alerts(3):
        trusted = alerts.public(row, trusted=True).model_dump(mode="json", by_alias=True)
        assert trusted == alerts.public(row).model_dump(mode="json", by_alias=True)
        assert trusted["id"] == str(row.id) and trusted["detail"]["watch_plate"].startswith("PUB")
