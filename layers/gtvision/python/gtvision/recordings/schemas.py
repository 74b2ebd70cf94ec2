"""Rows and answers of recordings: a registered segment (table `segments`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID


@dataclass(frozen=True, slots=True)
class Segment:
    """A recorded segment (table `segments`), keyed by (camera_id, start_at)."""

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

    @property
    def object_keys(self) -> list[str]:
        """Every object of the segment: the original, its thumbnail and its playable rendition (one unit)."""
        return [k for k in (self.s3_key, self.thumb_key, self.play_key) if k]

    @property
    def seconds(self) -> float:
        """Its duration as read from the media, else as its key and end time say."""
        return float(self.duration_s or (self.end_at - self.start_at).total_seconds())
