"""Recordings: the rows of the segment index and the limits of a range. What the recordings routes read from the
query string and what they answer (timeline, thumbnails, reference view) is in `api_schemas`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal
from uuid import UUID

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


@dataclass(frozen=True, slots=True)
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


@dataclass(frozen=True, slots=True)
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


@dataclass(frozen=True, slots=True)
class ThumbnailRow:
    start_at: datetime
    thumb_key: str


@dataclass(frozen=True, slots=True)
class TimelineRow:
    """The timeline statement's one row: spans and gaps as parallel arrays, coverage and count."""

    span_starts: list[datetime]
    span_ends: list[datetime]
    gap_starts: list[datetime]
    gap_ends: list[datetime]
    covered_s: float
    segments: int


@dataclass(frozen=True, slots=True)
class Rejection:
    """An upload that could not be registered (table `rejected_uploads`)."""

    id: int
    s3_key: str
    reason: str
    detail: dict[str, Any]
    at: datetime
    attempts: int


@dataclass(frozen=True, slots=True)
class CameraPlan:
    """A camera and its city's plans, as registration needs them."""

    camera_id: UUID
    city_id: UUID
    name: str
    retention_days: int
    #: The full-quality part of the plan (main stream), at most `retention_days`.
    full_quality_days: int


@dataclass(frozen=True, slots=True)
class ViewState:
    """A camera's reference and the state of the comparison (table `camera_views`)."""

    camera_id: UUID
    reference_luma: bytes
    reference_sharpness: float
    reference_at: datetime
    reference_source: str
    reference_thumb_key: str | None
    last_luma: bytes
    last_sharpness: float
    last_at: datetime
    last_thumb_key: str | None
    suspect_reason: str | None
    suspect_count: int


@dataclass(frozen=True, slots=True)
class ViewUpdate:
    """What a segment writes of the camera's view state (table `camera_views`; the first one is the reference)."""

    last_luma: bytes
    last_sharpness: float
    last_mean: float
    last_contrast: float
    last_thumb_key: str | None
    suspect_reason: str | None
    suspect_count: int


@dataclass(frozen=True)
class Registration:
    """What registering one key reads first, in one round trip: the camera and its city's plans (None: no such
    camera), the segment already registered under the key, and the camera's view state (tamper detection)."""

    camera: CameraPlan | None
    existing: Segment | None
    view: ViewState | None
