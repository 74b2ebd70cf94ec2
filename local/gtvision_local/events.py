"""Lambda event and context factories, shaped as AWS delivers them.

One place builds every event the local runtime delivers (SQS, EventBridge schedule, API Gateway
REST proxy, S3), so the runtime, ``gtvision local events`` and tests agree on the shapes.
"""

from __future__ import annotations

import base64
import hashlib
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from gtvision.core.timeutil import format_rfc3339

from .cfn import PARTITION
from .template import ACCOUNT_ID, REGION


@dataclass
class LambdaContext:
    """The attributes of the Lambda context object that handlers and Powertools read."""

    function_name: str
    timeout_s: int = 30
    memory_limit_in_mb: int = 128
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    function_version: str = "$LATEST"
    log_group_name: str = ""
    log_stream_name: str = "local"
    _deadline: float = 0.0

    def __post_init__(self) -> None:
        self._deadline = time.monotonic() + self.timeout_s
        self.log_group_name = self.log_group_name or f"/aws/lambda/{self.function_name}"

    @property
    def invoked_function_arn(self) -> str:
        return f"arn:{PARTITION}:lambda:{REGION}:{ACCOUNT_ID}:function:{self.function_name}"

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.monotonic()) * 1000))


def iso_z(moment: datetime) -> str:
    """RFC 3339 in UTC with a ``Z`` and no fraction, as EventBridge writes ``time``."""
    return format_rfc3339(moment, "seconds")


def sqs_record(message: dict[str, Any], queue_arn: str, region: str = REGION) -> dict[str, Any]:
    """One ``Records[]`` entry of a Lambda SQS event, from a ReceiveMessage message."""
    attributes = {
        k: v
        for k, v in (message.get("Attributes") or {}).items()
        if k
        in (
            "ApproximateReceiveCount",
            "SentTimestamp",
            "SenderId",
            "ApproximateFirstReceiveTimestamp",
            "MessageGroupId",
            "MessageDeduplicationId",
            "SequenceNumber",
            "AWSTraceHeader",
        )
    }
    message_attributes = {
        name: {
            "stringValue": a.get("StringValue"),
            "binaryValue": base64.b64encode(a["BinaryValue"]).decode() if a.get("BinaryValue") else None,
            "stringListValues": a.get("StringListValues", []),
            "binaryListValues": a.get("BinaryListValues", []),
            "dataType": a.get("DataType", "String"),
        }
        for name, a in (message.get("MessageAttributes") or {}).items()
    }
    return {
        "messageId": message["MessageId"],
        "receiptHandle": message["ReceiptHandle"],
        "body": message["Body"],
        "attributes": attributes,
        "messageAttributes": message_attributes,
        "md5OfBody": message.get("MD5OfBody") or hashlib.md5(message["Body"].encode()).hexdigest(),  # noqa: S324
        "eventSource": "aws:sqs",
        "eventSourceARN": queue_arn,
        "awsRegion": region,
    }


def sqs_event(bodies: list[str], queue_arn: str, receive_count: int = 1) -> dict[str, Any]:
    """A sample SQS event with one record per body (fresh ids, as if just received)."""
    now_ms = str(int(time.time() * 1000))
    messages = [
        {
            "MessageId": str(uuid.uuid4()),
            "ReceiptHandle": base64.b64encode(uuid.uuid4().bytes).decode(),
            "Body": body,
            "Attributes": {
                "ApproximateReceiveCount": str(receive_count),
                "SentTimestamp": now_ms,
                "SenderId": ACCOUNT_ID,
                "ApproximateFirstReceiveTimestamp": now_ms,
            },
        }
        for body in bodies
    ]
    return {"Records": [sqs_record(m, queue_arn) for m in messages]}


def scheduled_event(rule_arn: str, moment: datetime) -> dict[str, Any]:
    """An EventBridge "Scheduled Event" as a schedule rule delivers it."""
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": "Scheduled Event",
        "source": "aws.events",
        "account": ACCOUNT_ID,
        "time": iso_z(moment),
        "region": REGION,
        "resources": [rule_arn],
        "detail": {},
    }


def schedule_rule_arn(function_id: str, event_name: str) -> str:
    return f"arn:{PARTITION}:events:{REGION}:{ACCOUNT_ID}:rule/{function_id}{event_name}"


def s3_event(
    bucket: str,
    key: str,
    *,
    size: int = 0,
    etag: str = "d41d8cd98f00b204e9800998ecf8427e",
    event_name: str = "ObjectCreated:Put",
    moment: datetime | None = None,
) -> dict[str, Any]:
    """An S3 notification event (the body S3 sends to SQS). ``key`` is URL-encoded as S3 does."""
    from urllib.parse import quote_plus

    moment = moment or datetime.now(UTC)
    return {
        "Records": [
            {
                "eventVersion": "2.1",
                "eventSource": "aws:s3",
                "awsRegion": REGION,
                "eventTime": format_rfc3339(moment, "milliseconds"),
                "eventName": event_name,
                "userIdentity": {"principalId": "AWS:LOCAL"},
                "requestParameters": {"sourceIPAddress": "127.0.0.1"},
                "responseElements": {"x-amz-request-id": uuid.uuid4().hex[:16].upper()},
                "s3": {
                    "s3SchemaVersion": "1.0",
                    "configurationId": "local",
                    "bucket": {
                        "name": bucket,
                        "ownerIdentity": {"principalId": "LOCAL"},
                        "arn": f"arn:{PARTITION}:s3:::{bucket}",
                    },
                    "object": {
                        "key": quote_plus(key, safe="/"),
                        "size": size,
                        "eTag": etag,
                        "sequencer": f"{time.time_ns():X}",
                    },
                },
            }
        ]
    }


def api_gateway_event(
    *,
    method: str,
    path: str,
    resource: str,
    path_parameters: dict[str, str] | None = None,
    headers: list[tuple[str, str]] | None = None,
    query: list[tuple[str, str]] | None = None,
    body: bytes | None = None,
    source_ip: str = "127.0.0.1",
) -> dict[str, Any]:
    """An API Gateway REST (v1) proxy event; binary bodies are base64 with ``isBase64Encoded``."""
    headers = headers or []
    query = query or []
    single_headers: dict[str, str] = {}
    multi_headers: dict[str, list[str]] = {}
    for name, value in headers:
        single_headers[name] = value
        multi_headers.setdefault(name, []).append(value)
    single_query: dict[str, str] = {}
    multi_query: dict[str, list[str]] = {}
    for name, value in query:
        single_query[name] = value
        multi_query.setdefault(name, []).append(value)
    content_type = next((v for k, v in headers if k.lower() == "content-type"), "")
    text_body: str | None = None
    is_base64 = False
    if body:
        if _is_text(content_type):
            try:
                text_body = body.decode("utf-8")
            except UnicodeDecodeError:
                text_body, is_base64 = base64.b64encode(body).decode(), True
        else:
            text_body, is_base64 = base64.b64encode(body).decode(), True
    now = datetime.now(UTC)
    user_agent = next((v for k, v in headers if k.lower() == "user-agent"), None)
    return {
        "resource": resource,
        "path": path,
        "httpMethod": method,
        "headers": single_headers or None,
        "multiValueHeaders": multi_headers or None,
        "queryStringParameters": single_query or None,
        "multiValueQueryStringParameters": multi_query or None,
        "pathParameters": path_parameters or None,
        "stageVariables": None,
        "requestContext": {
            "resourceId": "local",
            "resourcePath": resource,
            "httpMethod": method,
            "extendedRequestId": uuid.uuid4().hex,
            "requestTime": now.strftime("%d/%b/%Y:%H:%M:%S +0000"),
            "path": path,
            "accountId": ACCOUNT_ID,
            "protocol": "HTTP/1.1",
            "stage": "local",
            "domainPrefix": "localhost",
            "requestTimeEpoch": int(now.timestamp() * 1000),
            "requestId": str(uuid.uuid4()),
            "identity": {"sourceIp": source_ip, "userAgent": user_agent},
            "domainName": "localhost",
            "apiId": "local",
        },
        "body": text_body,
        "isBase64Encoded": is_base64,
    }


def _is_text(content_type: str) -> bool:
    mime = content_type.split(";", 1)[0].strip().lower()
    return (
        not mime
        or mime.startswith("text/")
        or mime in ("application/json", "application/x-www-form-urlencoded", "application/xml")
        or mime.endswith("+json")
        or mime.endswith("+xml")
    )
