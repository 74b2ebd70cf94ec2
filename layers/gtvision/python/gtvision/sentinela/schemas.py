"""Sentinela: what a search request takes, the rows of its tables (searches, planned segments, results), the
analysis queue's message, and what the API answers."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal
from uuid import UUID

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from gtvision.core.jsonutil import JsonObject
from gtvision.core.models import Out, UuidStr
from gtvision.core.rows import rowtype

MAX_CAMERAS = 200
Status = Literal["pending", "processing", "completed", "failed", "cancelled"]
FINISHED: tuple[Status, ...] = ("completed", "failed", "cancelled")

# ------------------------------------------------------------------------------------------ requests


class SearchIn(BaseModel):
    model_config = ConfigDict(defer_build=True, extra="forbid", str_strip_whitespace=True)

    plate: str | None = Field(default=None, min_length=1, max_length=16)
    color: str | None = Field(default=None, min_length=1, max_length=32)
    type: str | None = Field(default=None, min_length=1, max_length=32)
    from_: AwareDatetime = Field(alias="from")
    to: AwareDatetime
    camera_ids: list[UuidStr] | None = Field(default=None, max_length=MAX_CAMERAS)
    analyse_video: bool = False


class Criteria(BaseModel):
    """A search's normalised criteria, as stored (JSON) and shown."""

    model_config = ConfigDict(defer_build=True, extra="ignore", populate_by_name=True)

    plate: str | None
    color: str | None
    type: str | None
    from_: datetime = Field(alias="from")
    to: datetime
    camera_ids: list[str] | None
    analyse_video: bool


# ---------------------------------------------------------------------------------------------- rows


@rowtype
class Search:
    """A search job (table `sentinela_searches`)."""

    id: UUID
    city_id: UUID
    created_by: UUID | None
    criteria: JsonObject
    status: Status
    segments_total: int
    segments_done: int
    error: str | None
    created_at: datetime
    finished_at: datetime | None


@rowtype
class RecordedSegment:
    """A recording segment a search plans to analyse."""

    camera_id: UUID
    start_at: datetime
    end_at: datetime
    s3_key: str
    #: `main` or `sub` (two-tier recording): a search analyses main where it was recorded, the sub-stream elsewhere.
    quality: str


@rowtype
class SegmentJob:
    """A planned segment with its search's state and the recording's object key (None once expired)."""

    job_status: str
    search_status: Status
    city_id: UUID
    criteria: JsonObject
    s3_key: str | None
    end_at: datetime | None


@rowtype
class Sighting:
    """A result of a search (an LPR read or a video detection), with its camera's name and place."""

    id: UUID
    search_id: UUID
    camera_id: UUID
    captured_at: datetime
    source: Literal["lpr", "video"]
    read_id: UUID | None
    segment_start: datetime | None
    plate: str | None
    color: str | None
    type: str | None
    confidence: float | None
    image_key: str | None
    bbox: dict[str, float] | None
    camera_name: str | None
    lat: float | None
    lon: float | None


@rowtype
class VideoSighting:
    """A detection in a segment's frame, to store as a result."""

    captured_at: datetime
    color: str
    type: str
    confidence: float
    image_key: str
    bbox: dict[str, float]


@rowtype
class SegmentTask:
    """One message of the analysis queue: a planned segment of a search."""

    search_id: str
    camera_id: str
    start_at: datetime
    #: The planned segment's tier (messages queued before two-tier planning carry none: `main`).
    quality: str = "main"


# ------------------------------------------------------------------------------------------- answers


def _uuid(default: Any = ...) -> Any:
    return Field(default=default, json_schema_extra={"format": "uuid"})


class SearchAccepted(Out):
    """A search accepted (202): it runs on its own; its state is read with GET."""

    id: str = _uuid()
    status: Literal["pending"]


class SearchOut(Out):
    id: str = _uuid()
    city_id: str = _uuid()
    status: Status
    progress: float
    criteria: Criteria
    segments_total: int
    segments_done: int
    created_at: datetime
    finished_at: datetime | None
    error: str | None
    created_by: str | None = _uuid()


class SightingOut(Out):
    id: str = _uuid()
    camera_id: str = _uuid()
    camera_name: str | None
    lat: float | None
    lon: float | None
    captured_at: datetime
    source: Literal["lpr", "video"]
    plate: str | None
    color: str | None
    type: str | None
    confidence: float | None
    image_url: str | None
    bbox: dict[str, float] | None
    read_id: str | None = _uuid()
