"""Probes of the AWS side for /v1/health."""

from __future__ import annotations

from gtvision.core import aws, db
from gtvision.core.settings import get_settings

#: /v1/health answers within 2 s (contract): the database probe gets this long, wait for a connection included.
DB_PROBE_S = 1.2


def database_status() -> str:
    """ "ok" when PostgreSQL answers, else the error's type."""
    try:
        with db.transaction(limit_s=DB_PROBE_S, wait_s=DB_PROBE_S) as conn:
            conn.execute("SELECT 1")
        return "ok"
    except Exception as exc:  # noqa: BLE001 - health reports, never raises
        return f"error: {type(exc).__name__}"


def storage_status() -> str:
    """ "ok" when the recordings bucket answers, else the error's type."""
    try:
        aws.client("s3").head_bucket(Bucket=get_settings().recordings_bucket)
        return "ok"
    except Exception as exc:  # noqa: BLE001
        return f"error: {type(exc).__name__}"


def queue_status() -> str:
    """ "ok" when the clip queue answers, else why not."""
    url = get_settings().clip_queue_url
    if not url:
        return "error: CLIP_QUEUE_URL not set"
    try:
        aws.client("sqs").get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])
        return "ok"
    except Exception as exc:  # noqa: BLE001
        return f"error: {type(exc).__name__}"
