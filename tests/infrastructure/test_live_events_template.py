"""template.yaml declares the live events WebSocket API as the local runtime serves it, and every event
source may send to the events queue."""

from __future__ import annotations

from pathlib import Path

from gtvision_local.template import SqsEvent, Template
from gtvision_local.websocket_spec import WebSocketRoute, websocket_apis

TEMPLATE = Path(__file__).resolve().parents[2] / "template.yaml"


def test_websocket_api_routes_resolve_to_the_socket_function() -> None:
    (api,) = websocket_apis(Template(TEMPLATE))
    assert (api.logical_id, api.selection_expression, api.stage) == (
        "EventsWebSocketApi",
        "$request.body.action",
        "live",
    )
    assert api.routes == {
        "$connect": WebSocketRoute("$connect", "EventsSocketFunction", False),
        "$disconnect": WebSocketRoute("$disconnect", "EventsSocketFunction", False),
        "$default": WebSocketRoute("$default", "EventsSocketFunction", True),  # subscribe/ping are answered
    }


def test_notifier_reads_the_events_queue_with_a_dlq_and_may_manage_connections() -> None:
    template = Template(TEMPLATE)
    notifier = template.function("EventsNotifierFunction")
    (event,) = notifier.events_of(SqsEvent)
    assert event.queue == "EventsQueue" and event.reports_batch_item_failures
    (queue,) = [q for q in template.queues() if q.logical_id == "EventsQueue"]
    assert queue.redrive is not None and queue.redrive.dlq == "EventsDLQ"
    assert notifier.env["GTV_WS_MANAGEMENT_URL"].endswith(".execute-api.us-east-1.amazonaws.com/live")
    policies = template.resources["EventsNotifierFunction"]["Properties"]["Policies"]
    assert any(s["Action"] == "execute-api:ManageConnections" for p in policies for s in p.get("Statement", []))
    permission = template.resources["EventsSocketPermission"]["Properties"]
    assert (permission["Principal"], permission["FunctionName"]) == (
        "apigateway.amazonaws.com",
        {"Ref": "EventsSocketFunctionAliaslive"},  # SnapStart: the published alias (ADR 0024)
    )


def test_every_event_source_may_send_to_the_events_queue() -> None:
    template = Template(TEMPLATE)
    assert template.globals_env()["EVENTS_QUEUE_URL"] == template.queue_url("EventsQueue")
    for logical_id in (
        "ApiFunction",
        "LprIngestFunction",
        "ClipWorkerFunction",
        "StreamHealthFunction",
        "SegmentUploadFunction",
        "ClipReconcilerFunction",
    ):
        policies = template.resources[logical_id]["Properties"]["Policies"]
        assert {"SQSSendMessagePolicy": {"QueueName": {"Fn::GetAtt": ["EventsQueue", "QueueName"]}}} in policies, (
            logical_id
        )
