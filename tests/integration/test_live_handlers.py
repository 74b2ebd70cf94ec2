"""The live events functions under AWS-shaped events, without the local gateway.

EventsSocketFunction gets the events API Gateway sends (`requestContext.routeKey`, `connectionId`,
`domainName`, `stage`, `eventType`); EventsNotifierFunction reads a real message of the events queue
(moto) and posts, signed for `execute-api`, to the template's management endpoint path on a local endpoint that
checks every signature against botocore's (moto does not emulate that API): one 200, one 410 Gone.
"""

from __future__ import annotations

import hmac
import json
import os
import re
import threading
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import unquote

import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from utils import LambdaContext, load_function

from gtvision.core import db
from gtvision.core.settings import get_settings
from gtvision.live import publish as events

DOMAIN = "a1b2c3d4e5.execute-api.us-east-1.amazonaws.com"


def aws_event(route: str, connection_id: str, **fields: Any) -> dict[str, Any]:
    """As API Gateway (WebSocket, Lambda proxy) sends it."""
    event_type = {"$connect": "CONNECT", "$disconnect": "DISCONNECT"}.get(route, "MESSAGE")
    context = {
        "routeKey": route,
        "eventType": event_type,
        "extendedRequestId": "Qx1MyFbZoAMFvOg=",
        "requestTime": "30/Nov/2026:01:00:00 +0000",
        "messageDirection": "IN",
        "stage": "live",
        "connectedAt": 1795999000000,
        "requestTimeEpoch": 1795999000123,
        "identity": {"sourceIp": "203.0.113.9", "userAgent": "Mozilla/5.0"},
        "requestId": "Qx1MyFbZoAMFvOg=",
        "domainName": DOMAIN,
        "connectionId": connection_id,
        "apiId": "a1b2c3d4e5",
    }
    if event_type == "MESSAGE":
        context["messageId"] = "Qx1NBdR3oAMCJ-A="
    event: dict[str, Any] = {"requestContext": context, "isBase64Encoded": False}
    if event_type == "CONNECT":
        event["headers"] = {"Host": DOMAIN, "Sec-WebSocket-Version": "13"}
    event.update(fields)
    return event


def rows(connection_id: str) -> list[dict[str, Any]]:
    with db.transaction() as conn:
        return conn.execute("SELECT * FROM ws_connections WHERE connection_id = %s", (connection_id,)).fetchall()


@pytest.fixture()
def socket_fn(stack: dict[str, str]) -> Any:
    return load_function("events_socket", "handler").handler


def test_connect_subscribe_ping_disconnect_as_api_gateway_sends_them(world: Any, socket_fn: Any) -> None:
    cid = "Qx1MxfwHoAMCJ-A="
    # Given a viewer's token in ?token= of the $connect event, the connection is accepted and stored
    out = socket_fn(aws_event("$connect", cid, queryStringParameters={"token": world.viewer_a}), LambdaContext())
    assert out["statusCode"] == 200
    (row,) = rows(cid)
    assert (row["role"], str(row["city_id"]), row["topics"]) == ("viewer", world.city_a, [])

    # When it subscribes to every topic and one camera, a viewer gets alerts and streams (clips are managers')
    camera = world.camera()["id"]
    body = json.dumps({"action": "subscribe", "topics": ["clips", "alerts", "streams"], "camera_ids": [camera]})
    out = socket_fn(aws_event("$default", cid, body=body), LambdaContext())
    assert json.loads(out["body"]) == {"type": "subscribed", "topics": ["alerts", "streams"], "camera_ids": [camera]}
    assert rows(cid)[0]["topics"] == ["alerts", "streams"]
    # a ping is answered, bad input gets the contract's error shape
    assert json.loads(socket_fn(aws_event("$default", cid, body='{"action":"ping"}'), LambdaContext())["body"]) == {
        "type": "pong"
    }
    for bad, code in (
        ("nope", "malformed_json"),
        ('{"action": "dance"}', "unknown_action"),
        ('{"action": "subscribe", "topics": ["weather"]}', "invalid_topics"),
        ('{"action": "subscribe", "topics": ["alerts"], "camera_ids": ["x"]}', "invalid_camera_ids"),
    ):
        reply = json.loads(socket_fn(aws_event("$default", cid, body=bad), LambdaContext())["body"])
        assert (reply["type"], reply["error"]["code"]) == ("error", code)
    assert rows(cid)[0]["topics"] == ["alerts", "streams"]  # unchanged by the refused ones

    # Then $disconnect forgets it
    out = socket_fn(aws_event("$disconnect", cid, disconnectStatusCode=1001), LambdaContext())
    assert out["statusCode"] == 200 and rows(cid) == []


def test_connect_refuses_bad_tokens_and_removed_accounts(world: Any, socket_fn: Any, api: Any) -> None:
    for query in (None, {"token": ""}, {"token": "abc.def.ghi"}, {"token": world.viewer_a + "x"}):
        cid = uuid.uuid4().hex[:16]
        out = socket_fn(aws_event("$connect", cid, queryStringParameters=query), LambdaContext())
        assert out["statusCode"] == 401, query
        assert rows(cid) == []
    # a token whose account was removed opens nothing either, as on the REST API
    username = f"gone-{uuid.uuid4().hex[:6]}"
    body = {"username": username, "password": "senha-forte-123", "role": "viewer", "city_id": world.city_a}
    user = api.call("POST", "/v1/users", body, world.admin).json()
    token = api.login(username, "senha-forte-123")
    assert api.call("DELETE", f"/v1/users/{user['id']}", token=world.admin).status == 204
    out = socket_fn(aws_event("$connect", "gone-conn-00001=", queryStringParameters={"token": token}), LambdaContext())
    assert out["statusCode"] == 401


_AUTHORIZATION = re.compile(
    r"AWS4-HMAC-SHA256 Credential=([^/]+)/\d{8}/([^/]+)/execute-api/aws4_request, "
    r"SignedHeaders=([^,]+), Signature=([0-9a-f]{64})"
)


class ManagementEndpoint:
    """API Gateway's management API as the notifier meets it in AWS (moto does not emulate it): each
    `POST {stage}/@connections/{id}` must carry a SigV4 signature for `execute-api` that botocore computes
    the same for the same request; `gone` connections answer 410 (GoneException), the rest 200."""

    def __init__(self, gone: set[str]) -> None:
        self.gone = gone
        self.posts: list[tuple[str, bytes]] = []
        self.bad_signatures = 0
        endpoint = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:
                pass

            def do_POST(self) -> None:  # noqa: N802 - http.server's naming
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                if not endpoint.signed(self.command, self.path, dict(self.headers.items()), body):
                    endpoint.bad_signatures += 1
                    self._answer(403, "ForbiddenException")
                    return
                connection_id = unquote(self.path.rsplit("/@connections/", 1)[1])
                endpoint.posts.append((connection_id, body))
                if connection_id in endpoint.gone:
                    self._answer(410, "GoneException")
                else:
                    self._answer(200)

            def _answer(self, status: int, error: str | None = None) -> None:
                payload = json.dumps({"message": error}).encode() if error else b""
                self.send_response(status)
                if error:
                    self.send_header("x-amzn-ErrorType", error)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/live"

    @staticmethod
    def signed(method: str, path: str, headers: dict[str, str], body: bytes) -> bool:
        """Whether the Authorization header is what botocore's SigV4Auth gives for this request."""
        auth = headers.get("Authorization", "")
        match = _AUTHORIZATION.fullmatch(auth)
        if match is None:
            return False
        key, region, names, signature = match.groups()
        lower = {k.lower(): v for k, v in headers.items()}
        signed = {name: lower[name] for name in names.split(";")}
        request = AWSRequest(method=method, url=f"http://{lower['host']}{path}", data=body, headers=signed)
        request.context["timestamp"] = lower["x-amz-date"]
        secret = os.environ["AWS_SECRET_ACCESS_KEY"]
        signer = SigV4Auth(Credentials(key, secret, lower.get("x-amz-security-token")), "execute-api", region)
        expected = signer.signature(signer.string_to_sign(request, signer.canonical_request(request)), request)
        return hmac.compare_digest(expected, signature)

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture()
def management(monkeypatch: pytest.MonkeyPatch) -> Iterator[ManagementEndpoint]:
    """The notifier's management endpoint: the template's stage path (`/live`) on a local signed endpoint."""
    from gtvision.live import transport
    from gtvision_local.template import load_template

    aws_url = load_template().function("EventsNotifierFunction").env["GTV_WS_MANAGEMENT_URL"]
    assert aws_url.startswith("https://") and aws_url.endswith(".execute-api.us-east-1.amazonaws.com/live")
    endpoint = ManagementEndpoint(gone={"A-gone-000000002="})
    monkeypatch.setenv("GTV_WS_MANAGEMENT_URL", endpoint.url)
    get_settings.cache_clear()
    yield endpoint
    endpoint.close()
    transport.reset()
    monkeypatch.undo()
    get_settings.cache_clear()


def test_notifier_posts_to_subscribers_and_prunes_the_gone_one(world: Any, management: ManagementEndpoint) -> None:
    from gtvision.core import aws
    from gtvision_local.events import sqs_record
    from gtvision_local.template import load_template

    # Given two connections of city A subscribed to streams (one gone), one of city B and an admin's (no city)
    conns: dict[str, str | None] = {"A-live-000000001=": world.city_a, "A-gone-000000002=": world.city_a}
    conns |= {"B-live-000000003=": world.city_b, "0-admin-00000004=": None}
    with db.transaction() as conn:
        for cid, city in conns.items():
            conn.execute(
                "INSERT INTO ws_connections (connection_id, user_id, role, city_id, topics)"
                " VALUES (%s, %s, %s, %s, %s)",
                (cid, str(uuid.uuid4()), "admin" if city is None else "manager", city, ["streams"]),
            )
    camera = world.camera()["id"]
    expected_data = json.dumps(
        {"type": "stream.status", "data": {"camera_id": camera, "status": "online", "at": "2026-11-30T01:00:00Z"}}
    ).encode()

    # When a stream.status event of city A goes through the real events queue to the notifier
    queue_url = get_settings().events_queue_url
    sqs = aws.client("sqs")
    _drain(sqs, queue_url)
    assert events.stream_status(world.city_a, camera, "online", datetime(2026, 11, 30, 1, tzinfo=UTC))
    (message,) = sqs.receive_message(QueueUrl=queue_url, WaitTimeSeconds=1).get("Messages", [])
    bad = {**message, "MessageId": str(uuid.uuid4()), "Body": '{"type": "weather"}'}
    arn = load_template().queue_arn("EventsQueue")
    notifier = load_function("events_notifier", "handler").handler
    out = notifier({"Records": [sqs_record(message, arn), sqs_record(bad, arn)]}, LambdaContext())

    # Then city A's two connections and the admin's were posted the event, each request signed as boto3 signs it
    assert sorted(management.posts) == [
        ("0-admin-00000004=", expected_data),
        ("A-gone-000000002=", expected_data),
        ("A-live-000000001=", expected_data),
    ]
    assert management.bad_signatures == 0
    # and the gone one was pruned, city B's was never posted to
    assert rows("A-gone-000000002=") == []
    assert all(len(rows(cid)) == 1 for cid in ("A-live-000000001=", "B-live-000000003=", "0-admin-00000004="))
    # and the malformed message alone is reported failed (it goes to the DLQ after its retries)
    assert out == {"batchItemFailures": [{"itemIdentifier": bad["MessageId"]}]}
    sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])
    with db.transaction() as conn:
        conn.execute("DELETE FROM ws_connections WHERE connection_id = ANY(%s)", (list(conns),))


def _drain(sqs: Any, url: str) -> None:
    while got := sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=0).get("Messages", []):
        for m in got:
            sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])
