"""Recordings for the API: the timeline, thumbnails and HLS playback over the segment index.

Routes hand these functions the camera the route decorator resolved (visible in the caller's city) and
the parsed query, so nothing here checks the caller again. Registration is `recordings.register`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from gtvision.core import db, pagination
from gtvision.core.settings import get_settings
from gtvision.recordings import hls, storage, tiers
from gtvision.recordings import store as dal
from gtvision.recordings.keys import parse, parse_key, segment_key, thumbnail_key
from gtvision.tenancy.schemas import Camera

if TYPE_CHECKING:  # the API's models, imported where an answer is built (ADR 0029)
    from gtvision.recordings.api_schemas import PlaybackQuery, RangeQuery, Thumbnail, ThumbnailsQuery, Timeline

__all__ = [
    "any_registered",
    "forget_partitions",
    "is_registered",
    "parse_key",
    "playlist",
    "segment_key",
    "thumbnail_key",
    "thumbnails",
    "timeline",
]

MAX_PLAYLIST_TTL_S = 12 * 3600  # temporary credentials rarely outlive this; a URL cannot outlive them


def timeline(camera: Camera, query: RangeQuery) -> Timeline:
    """The contract's timeline: spans of recording (segments ≤ 1 s apart merged), gaps, coverage, count."""
    from gtvision.recordings.api_schemas import Span, Timeline

    from_, to = query.start, query.end
    with db.transaction() as conn:
        row = dal.timeline(conn, str(camera.id), from_, to)
    return Timeline.model_validate(
        {
            "camera_id": str(camera.id),
            "from": from_,
            "to": to,
            "spans": [Span(start=s, end=e) for s, e in zip(row.span_starts, row.span_ends, strict=True)],
            "gaps": [Span(start=s, end=e) for s, e in zip(row.gap_starts, row.gap_ends, strict=True)],
            "coverage": round(min(1.0, float(row.covered_s) / (to - from_).total_seconds()), 6),
            "segments": int(row.segments),
        }
    )


def thumbnails(camera: Camera, query: ThumbnailsQuery) -> tuple[list[Thumbnail], str | None]:
    """One 160×90 JPEG per segment starting in the range, as presigned URLs, a page at a time."""
    from gtvision.recordings.api_schemas import Thumbnail

    after = pagination.decode_keyset(query.cursor, ("time",))
    after_at = after[0] if after else None
    with db.transaction() as conn:
        rows = dal.thumbnails_page(conn, str(camera.id), query.start, query.end, query.limit, after_at)
    page, nxt = pagination.page(rows, query.limit, ("start_at",))
    urls = storage.presigned_urls([r.thumb_key for r in page], get_settings().presign_ttl_s)
    return [Thumbnail(at=r.start_at, url=u) for r, u in zip(page, urls, strict=True)], nxt


def playlist(camera: Camera, query: PlaybackQuery) -> str | None:
    """The HLS VOD playlist of the range (≤ 24 h) in the quality asked — `best`: main where it was recorded,
    the sub-stream in main's gaps, one playlist — None when nothing playable was recorded in it."""
    with db.transaction() as conn:
        segments = dal.in_range(conn, str(camera.id), query.start, query.end)
    chosen = tiers.choose(segments, query.quality)
    rows = [p for p in (hls.rendition_row(r) for r in chosen) if p is not None]
    if not rows:
        return None
    total = sum(hls.duration(r) for r in rows)
    ttl = int(min(MAX_PLAYLIST_TTL_S, max(get_settings().presign_ttl_s, total + 3600)))
    urls = storage.presigned_urls([r.s3_key for r in rows], ttl)
    return hls.build_playlist(rows, urls)


def any_registered() -> bool:
    """Whether any segment was ever registered (the local runtime's recovery hints)."""
    with db.transaction() as conn:
        return dal.any_registered(conn)


def forget_partitions() -> None:
    """Forget the partitions this process knows exist (retention dropped some)."""
    dal.forget_partitions()


def is_registered(key: str) -> bool:
    """Whether `key` is the object of a registered segment (a refused upload later re-uploaded readable)."""
    parsed = parse(key)
    if parsed is None:
        return False
    with db.transaction() as conn:
        row = dal.get(conn, parsed.camera_id, parsed.start, parsed.quality)
    return row is not None and row.s3_key == key
