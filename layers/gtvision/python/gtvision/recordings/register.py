"""Segment registration (SegmentUploadFunction's work): one `segments` row per uploaded segment.

Registration is idempotent on (camera_id, start_at) — the segment's identity in the key layout — so
duplicated and reordered S3 events register a segment once. What cannot ever be registered (a key
outside the layout, an unknown camera, media ffmpeg cannot read) is recorded in `rejected_uploads`
and left in the bucket; transient failures (storage or database down, an ffmpeg run that timed out
or was killed) raise, to be retried. A key overwritten with other content is re-registered and
raises a `recording_changed` alert (ADR 0010).
"""

from __future__ import annotations

import os
import shutil
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from aws_lambda_powertools.metrics import MetricUnit, single_metric

from gtvision.core import db, objects
from gtvision.core.errors import BadInput
from gtvision.core.observability import logger, metrics
from gtvision.core.retries import Failure, classify
from gtvision.core.settings import get_settings
from gtvision.media import ffmpeg, isobmff, rendition
from gtvision.media.budget import MAX_FFMPEG_S, FfmpegBudget
from gtvision.recordings import changes as recording_changes
from gtvision.recordings import store as dal
from gtvision.recordings.keys import canonical_variant_of, parse_key, thumbnail_key
from gtvision.tenancy import cameras, cities

#: Segment starts accepted: recorders' clocks drift, but not by years (and 9999-12-31 + a duration
#: overflows). Earlier or later starts are recorded as rejected.
EARLIEST_START = datetime(2000, 1, 1, tzinfo=UTC)
FUTURE_SKEW = timedelta(days=1)


@dataclass(frozen=True)
class UploadOutcome:
    """What became of one uploaded object."""

    status: Literal["registered", "duplicate", "changed", "rejected"]
    key: str
    reason: str | None = None


class Rejected(BadInput):
    """The upload can never be registered (the input's fault): `reject` records why, the event succeeds."""

    def __init__(self, reason: str, **detail: Any) -> None:
        super().__init__(reason)
        self.reason = reason
        self.detail = detail


def reject(bucket: str, key: str, exc: BaseException) -> UploadOutcome:
    """Record an upload refused for a reason of its own (`core.retries.classify` said REJECTED)."""
    if isinstance(exc, Rejected):
        return _reject(key, exc.reason, **exc.detail)
    return _reject(key, "invalid_input", bucket=bucket, error=str(exc)[-500:])


def _reject(key: str, reason: str, **detail: Any) -> UploadOutcome:
    with db.transaction() as conn:
        dal.record_rejection(conn, key, reason, detail)
    # One metric per reason (its own EMF blob), so operators can alarm on e.g. unknown cameras alone.
    with single_metric(
        name="SegmentUploadsRejected",
        unit=MetricUnit.Count,
        value=1,
        namespace=metrics.namespace,
        default_dimensions=metrics.default_dimensions,
    ) as metric:
        metric.add_dimension(name="reason", value=reason)
    logger.warning("segment upload rejected", extra={"key": key, "reason": reason, **detail})
    return UploadOutcome("rejected", key, reason)


def register_upload(bucket: str, key: str, ffmpeg_budget_s: float = MAX_FFMPEG_S) -> UploadOutcome:
    """Register the segment uploaded at `key` (already unquoted) once; reject what can never be registered.

    Keys outside the layout, unknown cameras and missing objects are recorded as rejected here; media that
    cannot be demuxed raises `Rejected` (the handler's `core.retries.classify` records it); anything else —
    storage, database, an ffmpeg run that timed out, was killed or ran out of scratch — raises, so the event
    is retried. A duplicate event whose object changed (size/ETag) re-registers the segment to the new
    content and opens a `recording_changed` alert.
    """
    deadline = FfmpegBudget(min(ffmpeg_budget_s, MAX_FFMPEG_S))
    deadline.left()  # not even started when the invocation is nearly over
    parsed = parse_key(key)
    if parsed is None:
        canonical = canonical_variant_of(key)
        if canonical is not None:
            return _reject(key, "non_canonical_key", bucket=bucket, canonical=canonical)
        return _reject(key, "unparsable_key", bucket=bucket)
    camera_id, start, ext = parsed
    if not EARLIEST_START <= start <= datetime.now(UTC) + FUTURE_SKEW:
        return _reject(key, "start_out_of_range", bucket=bucket, start=start.isoformat())
    camera = cameras.get_any(camera_id)
    city = cities.find(str(camera.city_id)) if camera else None
    retention_days = city.retention_days if city else None
    with db.transaction() as conn:
        existing = dal.get(conn, camera_id, start) if camera else None
    if camera is None:
        return _reject(key, "unknown_camera", camera_id=camera_id, bucket=bucket)
    if existing is not None and recording_changes.unchanged(existing, objects.head(bucket, key)):
        return _duplicate(key)
    scratch = tempfile.mkdtemp(prefix="gtv-seg-")
    try:
        local = os.path.join(scratch, f"segment.{ext}")
        try:
            sha256, size, etag = objects.download(bucket, key, local)
        except objects.ObjectMissing:
            if existing is not None:
                return _duplicate(key)  # removed after its registration (retention): nothing changed to see
            return _reject(key, "object_missing", bucket=bucket)
        if existing is not None and existing.sha256 == sha256:
            with db.transaction() as conn:  # same bytes uploaded again (a new ETag, e.g. multipart): not a change
                dal.set_etag(conn, camera_id, start, etag)
            return _duplicate(key)
        try:
            info = isobmff.probe(local, timeout=deadline.left())
            pts_start = ffmpeg.start_time(local, timeout=deadline.left())
            thumb_local = os.path.join(scratch, "thumb.jpg")
            ffmpeg.thumbnail(local, thumb_local, 160, 90, timeout=deadline.left())
        except Exception as exc:
            if classify(exc) is not Failure.REJECTED:
                raise  # a timeout, a signal, a full scratch say nothing about the media: retried
            if existing is not None:
                unreadable = {"sha256": sha256, "size_bytes": size, "etag": etag}
                recording_changes.changed(existing, unreadable, readable=False)
            message = exc.message if isinstance(exc, ffmpeg.MediaError) else str(exc)
            raise Rejected("unreadable_media", error=message[-500:], size_bytes=size) from exc
        if info.duration_s > dal.MAX_SEGMENT.total_seconds():
            raise Rejected("segment_too_long", duration_s=info.duration_s)
        container = ("fmp4" if info.fragmented else "mp4") if info.container == "mp4" else "ts"
        playable = rendition.playable_copy(local, os.path.join(scratch, "playable.ts"), container, key, deadline.left())
        thumb_key = thumbnail_key(camera_id, start)
        # Tag both objects with the city's plan: the bucket's lifecycle rules are the safety net behind
        # RetentionFunction (a legal hold re-tags them `held`, which no rule matches).
        retention = str(retention_days)
        dal.put_thumbnail(bucket, thumb_key, thumb_local, retention)
        storage_class = get_settings().storage_class_for(int(retention))  # docs/cost.md: IA for 30-day plans
        if storage_class:
            dal.store_for_plan(bucket, key, retention, storage_class)
        else:
            dal.tag_retention(bucket, [key], retention)
        play_key = rendition.rendition_key(camera_id, start) if playable else None
        if playable and play_key:
            dal.put_rendition(bucket, play_key, playable.path, retention)
        row = {
            "camera_id": camera_id,
            "city_id": camera.city_id,
            "start_at": start,
            "end_at": start + timedelta(seconds=info.duration_s),
            "duration_s": info.duration_s,
            "s3_key": key,
            "thumb_key": thumb_key,
            "size_bytes": size,
            "sha256": sha256,
            "video_codec": info.video_codec,
            "width": info.width,
            "height": info.height,
            "container": container,
            "init_bytes": _init_bytes(local) if info.fragmented else None,
            "pts_start": pts_start,
            "etag": etag,
            "play_key": play_key,
            "play_size_bytes": playable.size_bytes if playable else None,
            "frame_count": info.frame_count,  # fps of the camera's health = frames / duration
        }
        with db.transaction() as conn:
            if existing is None:
                stored, revision = dal.insert(conn, row), 0
                if stored:
                    dal.clear_stale_rejections(conn, key)
            else:
                revision = dal.replace(conn, row, existing.sha256)
                stored = revision is not None
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    if not stored:  # a concurrent delivery of the same event won the insert (or the re-registration)
        return _duplicate(key)
    if existing is not None:
        recording_changes.changed(existing, row, readable=True, revision=revision)
        return UploadOutcome("changed", key)
    metrics.add_metric(name="SegmentsRegistered", unit=MetricUnit.Count, value=1)
    logger.info("segment registered", extra={"key": key, "duration_s": info.duration_s, "codec": info.video_codec})
    return UploadOutcome("registered", key)


def _duplicate(key: str) -> UploadOutcome:
    metrics.add_metric(name="SegmentUploadsDuplicate", unit=MetricUnit.Count, value=1)
    return UploadOutcome("duplicate", key)


def _init_bytes(path: str) -> int | None:
    """Bytes before the first `moof` of a fragmented MP4: its initialization section (ftyp + moov)."""
    for kind, offset, _, _ in isobmff.top_level_boxes(isobmff.FileReader(path)):
        if kind == b"moof":
            return offset
    return None
