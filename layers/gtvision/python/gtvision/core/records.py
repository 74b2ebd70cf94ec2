"""The domain records that cross layers (DAL → logic → API), typed: what a row of each table holds.

The DAL returns rows as these ``TypedDict``s (psycopg's ``dict_row``, so no copy is made); logic reads
their fields by name with the types checked by mypy.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal, NotRequired, TypedDict
from uuid import UUID


class Segment(TypedDict):
    """A recorded segment (table ``segments``), keyed by (camera_id, start_at)."""

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


class Clip(TypedDict):
    """An exported clip (table ``clips``, the columns ``dal.clips.COLS`` selects)."""

    id: UUID
    camera_id: UUID
    city_id: UUID
    start_at: datetime
    end_at: datetime
    mode: Literal["fast", "exact"]
    status: Literal["queued", "processing", "ready", "failed"]
    duration_s: float | None
    size_bytes: int | None
    sha256: str | None
    s3_key: str | None
    manifest_key: str | None
    error: str | None
    requested_by: UUID | None
    requested_by_name: str | None
    attempts: int
    held: bool
    hold_reason: str | None
    held_by: UUID | None
    held_at: datetime | None
    created_at: datetime
    updated_at: datetime


class PlateRead(TypedDict):
    """A plate read as search returns it (table ``plate_reads``); ``distance`` only in fuzzy search."""

    id: UUID
    city_id: UUID
    camera_id: UUID
    plate: str
    captured_at: datetime
    confidence: float
    image_key: str | None
    vehicle: dict[str, Any] | None
    direction: str | None
    event_id: str
    created_at: datetime
    vehicle_color: str | None
    vehicle_type: str | None
    distance: NotRequired[float]  # fuzzy search: the plate's edit distance to the query


class TrajectoryRead(PlateRead):
    """A read on a plate's trajectory, with its camera's name and location."""

    camera_name: str | None
    lat: float | None
    lon: float | None
