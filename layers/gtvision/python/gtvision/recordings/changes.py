"""Evidence that changed under a registered key: a re-upload of a segment with other content (ADR 0010).

A duplicate S3 event is told from an overwrite by the object's size and ETag; an overwrite re-registers
the segment (`recordings.register`) and, here, opens one `recording_changed` alert — published like the
other alerts — and writes the previous hash into the audit trail.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from aws_lambda_powertools.metrics import MetricUnit

from gtvision.alerts import incidents
from gtvision.alerts import service as alerts
from gtvision.audit import service as audit
from gtvision.core import db
from gtvision.core.observability import logger, metrics
from gtvision.recordings.schemas import Segment


def unchanged(existing: Segment, current: tuple[int, str] | None) -> bool:
    """Whether the object at the key is still the one registered (by size, and ETag when both are known).

    A missing object counts as unchanged: retention (or an operator) removed it after registration.
    """
    if current is None:
        return True
    size, etag = current
    if size != existing.size_bytes:
        return False
    return not (existing.etag and etag and etag != existing.etag)


def changed(previous: Segment, now: Mapping[str, Any], *, readable: bool, revision: int | None = None) -> None:
    """Evidence changed under a registered key: one `recording_changed` alert, and the audit trail keeps
    the hash it had before (the alert is published like the other alerts).

    Each change is an incident of its own, also a change back to content seen before: the alert is keyed
    by the segment's new revision (readable content re-registered) — or, for unreadable content the index
    does not take, by the revision it would have had and that content's hash — never by the hash alone.
    """
    key = previous.s3_key
    detail = {
        "s3_key": key,
        "previous_sha256": previous.sha256,
        "sha256": now["sha256"],
        "previous_size_bytes": previous.size_bytes,
        "size_bytes": now["size_bytes"],
        "previous_duration_s": previous.duration_s,
        "duration_s": now.get("duration_s"),
        "readable": readable,
        "note": "o arquivo da gravação foi substituído por outro conteúdo"
        + ("" if readable else " ilegível; o índice mantém o registro anterior"),
    }
    with db.transaction() as conn:
        created = incidents.raise_alerts(
            conn,
            [
                {
                    "city_id": previous.city_id,
                    "kind": "recording_changed",
                    "camera_id": previous.camera_id,
                    "captured_at": previous.start_at,
                    "dedup_key": _dedup_key(previous, now, revision),
                    "detail": detail,
                }
            ],
        )
    audit.record(
        None, "recording.changed", key, city_id=str(previous.city_id), detail=detail, actor="SegmentUploadFunction"
    )
    alerts.publish(created)
    metrics.add_metric(name="RecordingsChanged", unit=MetricUnit.Count, value=1)
    logger.warning("registered recording changed", extra=detail)


def _dedup_key(previous: Segment, now: Mapping[str, Any], revision: int | None) -> str:
    if revision is not None:
        return f"{previous.s3_key}:r{revision}:{now.get('etag') or now['sha256']}"
    return f"{previous.s3_key}:r{previous.revision + 1}:unreadable:{now['sha256']}"
