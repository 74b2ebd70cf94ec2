"""Recordings: registering uploaded segments, and the timeline, thumbnails and HLS playback over them.

Registration is idempotent on (camera_id, start_at) — the segment's identity in the key layout — so
duplicated and reordered S3 events register a segment once. What cannot ever be registered (a key
outside the layout, an unknown camera, media ffmpeg cannot read) is recorded in `rejected_uploads`
and left in the bucket; only transient failures (storage or database down) raise, to be retried.
"""

from __future__ import annotations

import math
import os
import re
import shutil
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from aws_lambda_powertools.metrics import MetricUnit, single_metric

from gtvision import db, ffmpeg, isobmff, pagination
from gtvision.auth import Principal
from gtvision.dal import cameras as cameras_dal
from gtvision.dal import cities as cities_dal
from gtvision.dal import segments as dal
from gtvision.errors import Invalid
from gtvision.logic import cameras
from gtvision.observability import logger, metrics
from gtvision.settings import get_settings
from gtvision.timeutil import query_time

KEY_LAYOUT = re.compile(
    r"^recordings/(?P<camera>[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})/"
    r"(?P<stamp>\d{4}-\d{2}-\d{2}_\d{2}-\d{2}-\d{2}-\d{6})\.(?P<ext>mp4|ts)$"
)
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
    return f"thumbnails/{camera_id}/{start.astimezone(UTC).strftime(STAMP_FORMAT)}.jpg"


def parse_key(key: str) -> tuple[str, datetime, str] | None:
    """(camera_id, UTC start, extension) of a contract key, None when the key is outside the layout."""
    match = KEY_LAYOUT.match(key)
    if not match:
        return None
    try:
        start = datetime.strptime(match["stamp"], STAMP_FORMAT).replace(tzinfo=UTC)
    except ValueError:  # e.g. month 13: the shape matches, the date does not exist
        return None
    return match["camera"].lower(), start, match["ext"]


# ---------------------------------------------------------------- registration


@dataclass(frozen=True)
class UploadOutcome:
    """What became of one uploaded object."""

    status: Literal["registered", "duplicate", "rejected"]
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


def register_upload(bucket: str, key: str) -> UploadOutcome:
    """Register the segment uploaded at `key` (already unquoted) once; reject what can never be registered.

    Raises only on transient failures (storage, database), so the event is retried.
    """
    parsed = parse_key(key)
    if parsed is None:
        return _reject(key, "unparsable_key", bucket=bucket)
    camera_id, start, ext = parsed
    with db.transaction() as conn:
        camera = cameras_dal.get(conn, camera_id, None)
        existing = dal.get(conn, camera_id, start) if camera else None
        city = cities_dal.get(conn, str(camera["city_id"])) if camera else None
        retention_days = city["retention_days"] if city else None
    if camera is None:
        return _reject(key, "unknown_camera", camera_id=camera_id, bucket=bucket)
    if existing is not None:
        metrics.add_metric(name="SegmentUploadsDuplicate", unit=MetricUnit.Count, value=1)
        return UploadOutcome("duplicate", key)
    scratch = tempfile.mkdtemp(prefix="gtv-seg-")
    try:
        local = os.path.join(scratch, f"segment.{ext}")
        try:
            sha256, size = dal.download(bucket, key, local)
        except dal.ObjectMissing:
            return _reject(key, "object_missing", bucket=bucket)
        try:
            info = isobmff.probe(local)
            pts_start = ffmpeg.start_time(local)
            thumb_local = os.path.join(scratch, "thumb.jpg")
            ffmpeg.thumbnail(local, thumb_local, 160, 90)
        except ffmpeg.MediaError as exc:
            return _reject(key, "unreadable_media", error=exc.message[-500:], size_bytes=size)
        if info.duration_s > dal.MAX_SEGMENT.total_seconds():
            return _reject(key, "segment_too_long", duration_s=info.duration_s)
        thumb_key = thumbnail_key(camera_id, start)
        # Tag both objects with the city's plan: the bucket's lifecycle rules are the safety net behind
        # RetentionFunction (a legal hold re-tags them `held`, which no rule matches).
        retention = str(retention_days)
        dal.put_thumbnail(bucket, thumb_key, thumb_local, retention)
        dal.tag_retention(bucket, [key], retention)
        row = {
            "camera_id": camera_id,
            "city_id": camera["city_id"],
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
            "container": ("fmp4" if info.fragmented else "mp4") if info.container == "mp4" else "ts",
            "init_bytes": _init_bytes(local) if info.fragmented else None,
            "pts_start": pts_start,
        }
        with db.transaction() as conn:
            inserted = dal.insert(conn, row)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    if not inserted:  # a concurrent delivery of the same event won the insert
        metrics.add_metric(name="SegmentUploadsDuplicate", unit=MetricUnit.Count, value=1)
        return UploadOutcome("duplicate", key)
    metrics.add_metric(name="SegmentsRegistered", unit=MetricUnit.Count, value=1)
    logger.info("segment registered", extra={"key": key, "duration_s": info.duration_s, "codec": info.video_codec})
    return UploadOutcome("registered", key)


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
        rows = [r for r in dal.in_range(conn, camera_id, from_, to) if r["container"] in PLAYABLE]
    if not rows:
        return None
    total = sum(_duration(r) for r in rows)
    ttl = int(min(MAX_PLAYLIST_TTL_S, max(get_settings().presign_ttl_s, total + 3600)))
    urls = dal.presigned_urls([r["s3_key"] for r in rows], ttl)
    return build_playlist(rows, urls)


# ---------------------------------------------------------------- HLS

#: Containers HLS can carry: MPEG-TS, and fragmented MP4 (its ftyp+moov served as EXT-X-MAP). A
#: progressive MP4 is not an HLS segment; it is registered (evidence) but left out of playlists.
PLAYABLE = ("ts", "fmp4")
_PTS_TOLERANCE_S = 0.5


def _duration(row: dict[str, Any]) -> float:
    return float(row.get("duration_s") or (row["end_at"] - row["start_at"]).total_seconds())


def _discontinuous(prev: dict[str, Any], cur: dict[str, Any]) -> bool:
    """Whether the player must reset its decoder/timeline between two consecutive segments.

    At gaps, where codec, resolution or container change, and where timestamps do not continue —
    recorders that restart timestamps in every file (MediaMTX's fMP4, our recorder) need one at every
    boundary, while continuous MPEG-TS recordings play straight through.
    """
    if cur["start_at"] - prev["end_at"] > dal.TOUCH:
        return True
    if any(prev.get(k) != cur.get(k) for k in ("video_codec", "width", "height", "container")):
        return True
    if prev.get("pts_start") is None or cur.get("pts_start") is None:
        return True
    return abs(cur["pts_start"] - (prev["pts_start"] + _duration(prev))) > _PTS_TOLERANCE_S


def _pdt(at: datetime) -> str:
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{at.microsecond // 1000:03d}Z"


def build_playlist(rows: list[dict[str, Any]], urls: list[str]) -> str:
    """An HLS VOD media playlist over `rows` (ordered by start) served from `urls` (one per row)."""
    fmp4 = any(r["container"] == "fmp4" for r in rows)
    target = max(1, math.ceil(max(_duration(r) for r in rows)))
    lines = [
        "#EXTM3U",
        f"#EXT-X-VERSION:{7 if fmp4 else 3}",
        f"#EXT-X-TARGETDURATION:{target}",
        "#EXT-X-PLAYLIST-TYPE:VOD",
        "#EXT-X-MEDIA-SEQUENCE:0",
        "#EXT-X-INDEPENDENT-SEGMENTS",
    ]
    prev: dict[str, Any] | None = None
    for row, url in zip(rows, urls, strict=True):
        if prev is not None and _discontinuous(prev, row):
            lines.append("#EXT-X-DISCONTINUITY")
        lines.append(f"#EXT-X-PROGRAM-DATE-TIME:{_pdt(row['start_at'])}")
        if row["container"] == "fmp4":
            # Each MediaMTX/recorder fMP4 file carries its own ftyp+moov: serve those bytes as the
            # initialization section and the fragments after them as the media segment, from one URL.
            init = int(row["init_bytes"])
            lines.append(f'#EXT-X-MAP:URI="{url}",BYTERANGE="{init}@0"')
            lines.append(f"#EXTINF:{_duration(row):.6f},")
            lines.append(f"#EXT-X-BYTERANGE:{int(row['size_bytes']) - init}@{init}")
        else:
            lines.append(f"#EXTINF:{_duration(row):.6f},")
        lines.append(url)
        prev = row
    lines.append("#EXT-X-ENDLIST")
    return "\n".join(lines) + "\n"
