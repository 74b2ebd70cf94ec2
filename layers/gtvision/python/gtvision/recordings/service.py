"""Recordings: registering uploaded segments, and the timeline, thumbnails and HLS playback over them.

Registration is idempotent on (camera_id, start_at) — the segment's identity in the key layout — so
duplicated and reordered S3 events register a segment once. What cannot ever be registered (a key
outside the layout, an unknown camera, media ffmpeg cannot read) is recorded in `rejected_uploads`
and left in the bucket; transient failures (storage or database down, an ffmpeg run that timed out
or was killed) raise, to be retried. A key overwritten with other content is re-registered and
raises a `recording_changed` alert (ADR 0010).
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
import unicodedata
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from aws_lambda_powertools.metrics import MetricUnit, single_metric

from gtvision.core import db, objects, pagination
from gtvision.core.errors import Invalid
from gtvision.core.observability import logger, metrics
from gtvision.core.principal import Principal
from gtvision.core.settings import get_settings
from gtvision.core.timeutil import query_time
from gtvision.media import ffmpeg, isobmff, rendition
from gtvision.media.budget import MAX_FFMPEG_S, FfmpegBudget
from gtvision.recordings import changes as recording_changes
from gtvision.recordings import hls
from gtvision.recordings import store as dal
from gtvision.tenancy import cameras, cities

#: The contract's key, exactly: lower-case camera UUID, ASCII digits. One instant has one key, so a
#: variant (upper-case UUID, fullwidth digits) can never shadow the canonical key as a "duplicate"
#: that retention would never tag nor delete.
KEY_LAYOUT = re.compile(
    r"recordings/(?P<camera>[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})/"
    r"(?P<stamp>[0-9]{4}-[0-9]{2}-[0-9]{2}_[0-9]{2}-[0-9]{2}-[0-9]{2}-[0-9]{6})\.(?P<ext>mp4|ts)",
    re.ASCII,
)
#: Segment starts accepted: recorders' clocks drift, but not by years (and 9999-12-31 + a duration
#: overflows). Earlier or later starts are recorded as rejected.
EARLIEST_START = datetime(2000, 1, 1, tzinfo=UTC)
FUTURE_SKEW = timedelta(days=1)
STAMP_FORMAT = "%Y-%m-%d_%H-%M-%S-%f"
MAX_RANGE = timedelta(days=31)
# A playlist lists every segment with its signed URL (~1–2 KB each with a role's session token): 24 h of
# 60 s segments is ~2.5 MB, safely under Lambda's 6 MB response limit. Longer spans: one playlist a day.
MAX_PLAYBACK_RANGE = timedelta(hours=24)
MAX_PLAYLIST_TTL_S = 12 * 3600  # temporary credentials rarely outlive this; a URL cannot outlive them


# ---------------------------------------------------------------- keys


def segment_key(camera_id: str, start: datetime, ext: str = "mp4") -> str:
    """The contract's key of a segment starting at `start` (UTC, microseconds)."""
    return f"recordings/{camera_id}/{start.astimezone(UTC).strftime(STAMP_FORMAT)}.{ext}"


def thumbnail_key(camera_id: str, start: datetime) -> str:
    """The S3 key of a segment's thumbnail."""
    return f"thumbnails/{camera_id}/{start.astimezone(UTC).strftime(STAMP_FORMAT)}.jpg"


def parse_key(key: str) -> tuple[str, datetime, str] | None:
    """(camera_id, UTC start, extension) of a canonical contract key, None for any other key."""
    match = KEY_LAYOUT.fullmatch(key)
    if not match:
        return None
    try:
        start = datetime.strptime(match["stamp"], STAMP_FORMAT).replace(tzinfo=UTC)
    except ValueError:  # e.g. month 13: the shape matches, the date does not exist
        return None
    if segment_key(match["camera"], start, match["ext"]) != key:  # one instant, one key
        return None
    return match["camera"], start, match["ext"]


def canonical_variant_of(key: str) -> str | None:
    """The canonical key a refused key is a variant of (upper-case camera UUID, non-ASCII digits), if any."""
    digits = "".join(str(unicodedata.digit(ch)) if ch.isdigit() and not ch.isascii() else ch for ch in key)
    parts = digits.split("/")
    if len(parts) != 3:
        return None
    candidate = "/".join((parts[0], parts[1].lower(), parts[2]))
    return candidate if candidate != key and parse_key(candidate) is not None else None


# ---------------------------------------------------------------- registration


@dataclass(frozen=True)
class UploadOutcome:
    """What became of one uploaded object."""

    status: Literal["registered", "duplicate", "changed", "rejected"]
    key: str
    reason: str | None = None


def _reject(key: str, reason: str, **detail: Any) -> UploadOutcome:
    with db.transaction() as conn:
        dal.record_rejection(conn, key, reason, detail)
    # One metric per reason (its own EMF blob), so operators can alarm on e.g. unknown cameras alone.
    with single_metric(
        name="SegmentUploadsRejected", unit=MetricUnit.Count, value=1, namespace=metrics.namespace,
        default_dimensions=metrics.default_dimensions,
    ) as metric:  # fmt: skip
        metric.add_dimension(name="reason", value=reason)
    logger.warning("segment upload rejected", extra={"key": key, "reason": reason, **detail})
    return UploadOutcome("rejected", key, reason)


def register_upload(bucket: str, key: str, ffmpeg_budget_s: float = MAX_FFMPEG_S) -> UploadOutcome:
    """Register the segment uploaded at `key` (already unquoted) once; reject what can never be registered.

    Only media that ffmpeg deterministically cannot read is rejected. Raises on transient failures
    (storage, database, an ffmpeg run that timed out or was killed, `ffmpeg_budget_s` spent), so the
    event is retried. A duplicate event whose object changed (size/ETag) re-registers the segment to
    the new content and opens a `recording_changed` alert.
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
        if existing is not None and existing["sha256"] == sha256:
            with db.transaction() as conn:  # same bytes uploaded again (a new ETag, e.g. multipart): not a change
                dal.set_etag(conn, camera_id, start, etag)
            return _duplicate(key)
        try:
            info = isobmff.probe(local, timeout=deadline.left())
            pts_start = ffmpeg.start_time(local, timeout=deadline.left())
            thumb_local = os.path.join(scratch, "thumb.jpg")
            ffmpeg.thumbnail(local, thumb_local, 160, 90, timeout=deadline.left())
        except ffmpeg.MediaInterrupted:
            raise  # a timeout or a signal says nothing about the media: retried, never a rejection
        except ffmpeg.MediaError as exc:
            if existing is not None:
                unreadable = {"sha256": sha256, "size_bytes": size, "etag": etag}
                recording_changes.changed(existing, unreadable, readable=False)
            return _reject(key, "unreadable_media", error=exc.message[-500:], size_bytes=size)
        if info.duration_s > dal.MAX_SEGMENT.total_seconds():
            return _reject(key, "segment_too_long", duration_s=info.duration_s)
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
            stored = dal.insert(conn, row) if existing is None else dal.replace(conn, row, existing["sha256"])
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    if not stored:  # a concurrent delivery of the same event won the insert (or the re-registration)
        return _duplicate(key)
    if existing is not None:
        recording_changes.changed(existing, row, readable=True)
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


# ---------------------------------------------------------------- reads


def parse_range(query: dict[str, str], max_range: timedelta = MAX_RANGE) -> tuple[datetime, datetime]:
    """`from`/`to` (RFC 3339, required, to > from, at most `max_range` apart) or 422."""
    values = []
    for name in ("from", "to"):
        value = query_time(query.get(name), name, code="invalid_range")
        if value is None:
            raise Invalid("invalid_range", f"parâmetro '{name}' é obrigatório (RFC 3339, ex.: 2026-11-23T14:05:00Z)")
        values.append(value)
    from_, to = values
    if to <= from_:
        raise Invalid("invalid_range", "'to' deve ser posterior a 'from'")
    if to - from_ > max_range:
        hours = int(max_range.total_seconds() // 3600)
        limit = f"{hours // 24} dias" if hours > 48 else f"{hours} horas"
        raise Invalid("invalid_range", f"o intervalo máximo é de {limit}")
    return from_, to


def timeline(principal: Principal, camera_id: str, query: dict[str, str]) -> dict[str, Any]:
    """The contract's timeline: spans of recording (segments ≤ 1 s apart merged), gaps, coverage, count."""
    cameras.visible(principal, camera_id)
    from_, to = parse_range(query)
    with db.transaction() as conn:
        result = dal.timeline(conn, camera_id, from_, to)
    return {
        "camera_id": camera_id,
        "from": from_,
        "to": to,
        "spans": [{"start": s, "end": e} for s, e in result["spans"]],
        "gaps": [{"start": s, "end": e} for s, e in result["gaps"]],
        "coverage": round(min(1.0, result["covered_s"] / (to - from_).total_seconds()), 6),
        "segments": result["segments"],
    }


def thumbnails(
    principal: Principal, camera_id: str, query: dict[str, str], limit: int, cursor: str | None
) -> tuple[list[dict[str, Any]], str | None]:
    """One 160×90 JPEG per segment starting in the range, as presigned URLs, a page at a time."""
    cameras.visible(principal, camera_id)
    from_, to = parse_range(query)
    after = pagination.decode_keyset(cursor, ("time",))
    after_at = after[0] if after else None
    with db.transaction() as conn:
        rows = dal.thumbnails_page(conn, camera_id, from_, to, limit, after_at)
    page, nxt = pagination.page(rows, limit, ("start_at",))
    urls = dal.presigned_urls([r["thumb_key"] for r in page], get_settings().presign_ttl_s)
    return [{"at": r["start_at"], "url": u} for r, u in zip(page, urls, strict=True)], nxt


def playlist(principal: Principal, camera_id: str, query: dict[str, str]) -> str | None:
    """The HLS VOD playlist of the range (≤ 24 h), None when nothing playable was recorded in it."""
    cameras.visible(principal, camera_id)
    from_, to = parse_range(query, MAX_PLAYBACK_RANGE)
    with db.transaction() as conn:
        rows = [p for p in (hls.rendition_row(r) for r in dal.in_range(conn, camera_id, from_, to)) if p is not None]
    if not rows:
        return None
    total = sum(hls.duration(r) for r in rows)
    ttl = int(min(MAX_PLAYLIST_TTL_S, max(get_settings().presign_ttl_s, total + 3600)))
    urls = dal.presigned_urls([r.s3_key for r in rows], ttl)
    return hls.build_playlist(rows, urls)
