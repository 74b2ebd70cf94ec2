"""Segment registration (SegmentUploadFunction's work): one `segments` row per uploaded segment.

Registration is idempotent on (camera_id, start_at, quality) — the segment's identity in the key layout — so
duplicated and reordered S3 events register a segment once. What cannot ever be registered (a key outside the
layout, an unknown camera, media no demuxer reads) is recorded in `rejected_uploads` and left in the bucket;
anything transient (storage or database down, an ffmpeg run that timed out, was killed or ran out of scratch)
raises, to be retried. A key overwritten with other content is re-registered and raises a `recording_changed`
alert (ADR 0010).

The work is bounded (docs/benchmarks.md, "segment registration"): one read round trip (camera, plans, the
segment under the key, the camera's view state), the download hashed as it streams, the MP4 probed by its boxes
(no ffmpeg), one ffmpeg run over the first keyframes only (thumbnail, start time, tamper views; for MPEG-TS also
the probe, for progressive MP4 also the playable copy), the storage requests in parallel, and one write round
trip (the row, the view state, the key's stale rejections).
"""

from __future__ import annotations

import os
import shutil
import tempfile
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from aws_lambda_powertools.metrics import MetricUnit, single_metric

from gtvision.core import db, objects
from gtvision.core.errors import BadInput
from gtvision.core.observability import logger, metrics
from gtvision.core.retries import Failure, classify
from gtvision.core.rows import rowtype
from gtvision.core.settings import get_settings
from gtvision.media import isobmff, keyframes, rendition
from gtvision.media.budget import MAX_FFMPEG_S, FfmpegBudget
from gtvision.media.ffmpeg import MediaError, MediaInfo
from gtvision.recordings import changes as recording_changes
from gtvision.recordings import storage, views
from gtvision.recordings import store as dal
from gtvision.recordings.keys import SegmentKey, canonical_variant_of, parse, thumbnail_key
from gtvision.recordings.upload_schemas import CameraPlan

#: Segment starts accepted: recorders' clocks drift, but not by years (and 9999-12-31 + a duration
#: overflows). Earlier or later starts are recorded as rejected.
EARLIEST_START = datetime(2000, 1, 1, tzinfo=UTC)
FUTURE_SKEW = timedelta(days=1)


@rowtype(slots=False)
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
    parsed = parse(key)
    if parsed is None:
        canonical = canonical_variant_of(key)
        if canonical is not None:
            return _reject(key, "non_canonical_key", bucket=bucket, canonical=canonical)
        return _reject(key, "unparsable_key", bucket=bucket)
    if not EARLIEST_START <= parsed.start <= datetime.now(UTC) + FUTURE_SKEW:
        return _reject(key, "start_out_of_range", bucket=bucket, start=parsed.start.isoformat())
    with db.transaction() as conn:
        ctx = dal.registration(conn, parsed.camera_id, parsed.start, parsed.quality)
    plan, existing = ctx.camera, ctx.existing
    if plan is None:
        return _reject(key, "unknown_camera", camera_id=parsed.camera_id, bucket=bucket)
    if existing is not None and recording_changes.unchanged(existing, objects.head(bucket, key)):
        return _duplicate(key)
    judgement: views.Judgement | None = None
    scratch = tempfile.mkdtemp(prefix="gtv-seg-")
    try:
        local = os.path.join(scratch, f"segment.{parsed.ext}")
        try:
            sha256, size, etag = objects.download(bucket, key, local)
        except objects.ObjectMissing:
            if existing is not None:
                return _duplicate(key)  # removed after its registration (retention): nothing changed to see
            return _reject(key, "object_missing", bucket=bucket)
        if existing is not None and existing.sha256 == sha256:
            with db.transaction() as conn:  # same bytes uploaded again (a new ETag, e.g. multipart): not a change
                dal.set_etag(conn, parsed.camera_id, parsed.start, etag, parsed.quality)
            return _duplicate(key)
        try:
            info, decoded = _media(local, scratch, parsed.ext, deadline)
        except Exception as exc:
            if classify(exc) is not Failure.REJECTED:
                raise  # a timeout, a signal, a full scratch say nothing about the media: retried
            if existing is not None:
                unreadable = {"sha256": sha256, "size_bytes": size, "etag": etag}
                recording_changes.changed(existing, unreadable, readable=False)
            message = exc.message if isinstance(exc, MediaError) else str(exc)
            raise Rejected("unreadable_media", error=message[-500:], size_bytes=size) from exc
        if info.duration_s > dal.MAX_SEGMENT.total_seconds():
            raise Rejected("segment_too_long", duration_s=info.duration_s)
        container = ("fmp4" if info.fragmented else "mp4") if info.container == "mp4" else "ts"
        thumb_key = thumbnail_key(parsed.camera_id, parsed.start, parsed.quality)
        play_key = rendition.rendition_key(parsed.path_name, parsed.start) if decoded.rendition else None
        _store_objects(bucket, key, parsed, plan, thumb_key, decoded)
        row = {
            "camera_id": parsed.camera_id,
            "city_id": plan.city_id,
            "start_at": parsed.start,
            "end_at": parsed.start + timedelta(seconds=info.duration_s),
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
            "pts_start": decoded.pts_start,
            "etag": etag,
            "play_key": play_key,
            "play_size_bytes": decoded.rendition.size_bytes if decoded.rendition else None,
            "frame_count": info.frame_count,  # fps of the camera's health = frames / duration
            "quality": parsed.quality,
        }
        if parsed.quality == "main":  # tamper detection watches the main stream (the sub-stream shows the same)
            judgement = views.judge(decoded.views, ctx.view, thumb_key)
        with db.transaction() as conn:
            viewed, revision = False, 0
            if existing is None:
                stored, viewed = dal.register(conn, row, judgement.values if judgement else None)
            else:
                replaced = dal.replace(conn, row, existing.sha256)
                stored, revision = replaced is not None, replaced or 0
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    if not stored:  # a concurrent delivery of the same event won the insert (or the re-registration)
        return _duplicate(key)
    if existing is not None:
        recording_changes.changed(existing, row, readable=True, revision=revision)
        return UploadOutcome("changed", key)
    if viewed and judgement is not None:
        views.act(plan, judgement, parsed.start, key, ctx.view)
    metrics.add_metric(name="SegmentsRegistered", unit=MetricUnit.Count, value=1)
    logger.info(
        "segment registered",
        extra={"key": key, "duration_s": info.duration_s, "codec": info.video_codec, "quality": parsed.quality},
    )
    return UploadOutcome("registered", key)


def _media(local: str, scratch: str, ext: str, deadline: FfmpegBudget) -> tuple[MediaInfo, keyframes.Decoded]:
    """The segment's probe and its one decode: an MP4's boxes are read in Python and ffmpeg decodes only its
    first keyframes; an MPEG-TS (or anything not ISO-BMFF) is probed by the same ffmpeg run's stream copy."""
    info: MediaInfo | None = None
    if ext == "mp4":
        info = isobmff.probe_mp4(local)
    if info is None:
        decoded = keyframes.decode(local, scratch, "ts", deadline.left())
        assert decoded.info is not None  # a "ts" decode always probes (or raises)
        return decoded.info, decoded
    container: keyframes.Container = "fmp4" if info.fragmented else "mp4"
    decoded = keyframes.decode(local, scratch, container, deadline.left(), prefix_bytes=info.first_keyframes_bytes)
    return info, decoded


def _store_objects(
    bucket: str, key: str, parsed: SegmentKey, plan: CameraPlan, thumb_key: str, decoded: keyframes.Decoded
) -> None:
    """The segment's storage requests: its tier's plan tag and storage class (docs/cost.md: main kept
    `full_quality_days`, the sub-stream `retention_days`; Standard-IA for a 30-day tier), its thumbnail and its
    playable copy — tagged alike, so the bucket's lifecycle rules are the safety net behind RetentionFunction."""
    days = plan.full_quality_days if parsed.quality == "main" else plan.retention_days
    tag = storage.plan_tag(days)
    play = (
        (rendition.rendition_key(parsed.path_name, parsed.start), decoded.rendition.path) if decoded.rendition else None
    )
    storage_class = get_settings().storage_class_for(int(tag))
    storage.store_segment(bucket, key, tag, storage_class, (thumb_key, decoded.thumbnail), play)


def _duplicate(key: str) -> UploadOutcome:
    metrics.add_metric(name="SegmentUploadsDuplicate", unit=MetricUnit.Count, value=1)
    return UploadOutcome("duplicate", key)


def _init_bytes(path: str) -> int | None:
    """Bytes before the first `moof` of a fragmented MP4: its initialization section (ftyp + moov)."""
    for kind, offset, _, _ in isobmff.top_level_boxes(isobmff.FileReader(path)):
        if kind == b"moof":
            return offset
    return None
