"""Recordings: the rows of the segment index and the limits of a range. What registering an upload reads besides
the index is in `upload_schemas`; the API's reads, queries and answers are in `api_schemas`."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Literal
from uuid import UUID

from gtvision.core.rows import rowtype

Quality = Literal["main", "sub"]
QUALITIES: tuple[Quality, ...] = ("main", "sub")
#: What playback may ask for: one quality, or `best` (main where it exists, sub elsewhere).
PlaybackQuality = Literal["main", "sub", "best"]

#: Timeline and thumbnails cover at most this much; a playlist at most `MAX_PLAYBACK_RANGE`.
MAX_RANGE = timedelta(days=31)
# A playlist lists every segment with its signed URL (~1–2 KB each with a role's session token): 24 h of
# 60 s segments is ~2.5 MB, safely under Lambda's 6 MB response limit. Longer spans: one playlist a day.
MAX_PLAYBACK_RANGE = timedelta(hours=24)


# ---------------------------------------------------------------------------------------------- rows


@rowtype
class Segment:
    """A recorded segment (table `segments`), keyed by (camera_id, start_at, quality)."""

    camera_id: UUID
    city_id: UUID
    start_at: datetime
    end_at: datetime
    duration_s: float | None
    s3_key: str
    thumb_key: str | None
    size_bytes: int | None
    sha256: str | None
    video_codec: str | None
    width: int | None
    height: int | None
    container: str | None  # 'fmp4', 'mp4' or 'ts'
    init_bytes: int | None  # fmp4: bytes of ftyp+moov before the first moof
    pts_start: float | None
    created_at: datetime
    etag: str | None  # of the object registered (an overwrite is a recording change)
    play_key: str | None  # a playable rendition (progressive MP4 remuxed to TS); None: the original plays
    play_size_bytes: int | None
    frame_count: int | None
    #: How many times the content under this key changed after its first registration.
    revision: int = 0
    #: The camera's main stream or its sub-stream (two-tier recording).
    quality: Quality = "main"

    @property
    def object_keys(self) -> list[str]:
        """Every object of the segment: the original, its thumbnail and its playable rendition (one unit)."""
        return [k for k in (self.s3_key, self.thumb_key, self.play_key) if k]

    @property
    def seconds(self) -> float:
        """Its duration as read from the media, else as its key and end time say."""
        return float(self.duration_s or (self.end_at - self.start_at).total_seconds())


@rowtype
class SegmentKeys:
    """The objects of a segment and its city's plans (legal holds re-tag them)."""

    s3_key: str
    thumb_key: str | None
    play_key: str | None
    quality: Quality
    retention_days: int
    full_quality_days: int

    @property
    def object_keys(self) -> list[str]:
        return [k for k in (self.s3_key, self.thumb_key, self.play_key) if k]

    @property
    def plan_days(self) -> int:
        """Days the segment's quality is kept (main: the full-quality part of the plan)."""
        return self.full_quality_days if self.quality == "main" else self.retention_days
