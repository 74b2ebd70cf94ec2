"""Create the template's buckets, queues, topics and S3→SQS notifications in the emulator.

Idempotent: every call converges the emulator on the template, so ``gtvision local up`` after a
crash, and test fixtures, can call it freely.
"""

from __future__ import annotations

import json
import logging
from typing import Any

import boto3
from botocore.config import Config

from .template import REGION, BucketSpec, QueueSpec, Template

log = logging.getLogger(__name__)


def aws_client(service: str, endpoint_url: str) -> Any:
    """A boto3 client for the local emulator (fixed test credentials, us-east-1)."""
    return boto3.client(
        service,
        endpoint_url=endpoint_url,
        region_name=REGION,
        aws_access_key_id="test",
        aws_secret_access_key="test",
        config=Config(retries={"max_attempts": 2}, connect_timeout=5, read_timeout=70),
    )


def _queue_attributes(queue: QueueSpec, template: Template) -> dict[str, str]:
    attributes = {"VisibilityTimeout": str(queue.visibility_timeout)}
    if queue.message_retention is not None:
        attributes["MessageRetentionPeriod"] = str(queue.message_retention)
    if queue.redrive is not None:
        attributes["RedrivePolicy"] = json.dumps(
            {
                "deadLetterTargetArn": template.queue_arn(queue.redrive.dlq),
                "maxReceiveCount": queue.redrive.max_receive_count,
            }
        )
    return attributes


def _ordered_queues(template: Template) -> list[QueueSpec]:
    """Dead-letter queues first: a redrive policy may only name a queue that exists."""
    queues = template.queues()
    dlqs = {q.redrive.dlq for q in queues if q.redrive}
    return sorted(queues, key=lambda q: q.logical_id not in dlqs)


def _notification_configuration(bucket: BucketSpec) -> dict[str, Any]:
    configs = []
    for n in bucket.queue_notifications:
        config: dict[str, Any] = {"QueueArn": n.queue_arn, "Events": list(n.events)}
        if n.filter_rules:
            config["Filter"] = {
                "Key": {"FilterRules": [{"Name": name, "Value": value} for name, value in n.filter_rules]}
            }
        configs.append(config)
    return {"QueueConfigurations": configs} if configs else {}


def _same_notifications(current: dict[str, Any], wanted: dict[str, Any]) -> bool:
    def key(cfg: dict[str, Any]) -> tuple[str, tuple[str, ...], tuple[tuple[str, str], ...]]:
        rules = ((cfg.get("Filter") or {}).get("Key") or {}).get("FilterRules", [])
        return (
            cfg["QueueArn"],
            tuple(sorted(cfg["Events"])),
            tuple(sorted((r["Name"].lower(), r["Value"]) for r in rules)),
        )

    return sorted(map(key, current.get("QueueConfigurations", []))) == sorted(
        map(key, wanted.get("QueueConfigurations", []))
    )


def create_resources(template: Template, endpoint_url: str | None = None) -> None:
    """Create (or update) every bucket, queue, topic and bucket notification of ``template``."""
    endpoint = endpoint_url or template.endpoint_url
    sqs = aws_client("sqs", endpoint)
    s3 = aws_client("s3", endpoint)
    sns = aws_client("sns", endpoint)

    for queue in _ordered_queues(template):
        attributes = _queue_attributes(queue, template)
        if queue.name.endswith(".fifo"):
            attributes["FifoQueue"] = "true"
        try:
            url = sqs.get_queue_url(QueueName=queue.name)["QueueUrl"]
        except sqs.exceptions.QueueDoesNotExist:
            sqs.create_queue(QueueName=queue.name, Attributes=attributes)
            log.info("queue %s created", queue.name)
        else:
            attributes.pop("FifoQueue", None)
            sqs.set_queue_attributes(QueueUrl=url, Attributes=attributes)

    existing = {b["Name"] for b in s3.list_buckets().get("Buckets", [])}
    for bucket in template.buckets():
        if bucket.name not in existing:
            s3.create_bucket(Bucket=bucket.name)
            log.info("bucket %s created", bucket.name)
        wanted = _notification_configuration(bucket)
        current = s3.get_bucket_notification_configuration(Bucket=bucket.name)
        # Putting a configuration makes S3 send an s3:TestEvent to the queue: only do it on change.
        if wanted and not _same_notifications(current, wanted):
            s3.put_bucket_notification_configuration(Bucket=bucket.name, NotificationConfiguration=wanted)
            log.info("bucket %s notifies %s", bucket.name, [c["QueueArn"] for c in wanted["QueueConfigurations"]])

    for topic in template.topics():
        sns.create_topic(Name=topic.name)  # CreateTopic is idempotent by name
