"""Mosaics (video walls): what a request takes (cameras, a layout, an optional tour), the rows of `mosaics`,
and what the API answers (each camera with its live URLs)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal
from uuid import UUID

from pydantic import Field, field_validator

from gtvision.core.models import Out, Strict, UuidStr
from gtvision.core.rows import rowtype

Layout = Literal["1x1", "1x2", "2x2", "3x3", "4x4", "1+5"]
#: Cells of each layout: a mosaic (and every page of its tour) shows at most that many cameras.
CAPACITY: dict[str, int] = {"1x1": 1, "1x2": 2, "2x2": 4, "3x3": 9, "4x4": 16, "1+5": 6}
MAX_CAMERAS = max(CAPACITY.values())
MAX_PAGES = 32

# ------------------------------------------------------------------------------------------ requests


class TourIn(Strict):
    """A view tour: the wall shows each page for `dwell_s` seconds, then the next, in a loop."""

    dwell_s: int = Field(ge=10, le=300)
    pages: list[list[UuidStr]] = Field(min_length=1, max_length=MAX_PAGES)

    @field_validator("pages")
    @classmethod
    def _pages(cls, pages: list[list[str]]) -> list[list[str]]:
        for page in pages:
            if not 1 <= len(page) <= MAX_CAMERAS:
                raise ValueError(f"cada página tem de 1 a {MAX_CAMERAS} câmeras")
        return [[c.lower() for c in page] for page in pages]


class MosaicIn(Strict):
    name: str = Field(min_length=1, max_length=120)
    camera_ids: list[UuidStr] = Field(min_length=1, max_length=MAX_CAMERAS)
    layout: Layout = "2x2"
    tour: TourIn | None = None


class MosaicPatch(Strict):
    """Rename a mosaic, change its cameras, its layout or its tour (`"tour": null` removes it)."""

    name: str | None = Field(default=None, min_length=1, max_length=120)
    camera_ids: list[UuidStr] | None = Field(default=None, min_length=1, max_length=MAX_CAMERAS)
    layout: Layout | None = None
    tour: TourIn | None = None


# ---------------------------------------------------------------------------------------------- rows


@rowtype
class Mosaic:
    """A mosaic (table `mosaics`); `tour` is `{"dwell_s", "pages"}` or None."""

    id: UUID
    city_id: UUID
    name: str
    layout: str
    camera_ids: list[UUID]
    tour: dict[str, object] | None
    created_by: UUID | None
    created_at: datetime


@rowtype
class MosaicCameraRow:
    """What a tile shows of a camera: its name and status (requested and observed)."""

    id: UUID
    name: str
    status: str
    health_status: str | None


# ------------------------------------------------------------------------------------------- answers


def _uuid() -> Any:
    return Field(json_schema_extra={"format": "uuid"})


class SubUrls(Out):
    hls: str
    webrtc: str


class TileUrls(Out):
    """A camera's live URLs on its MediaMTX node; `sub` when the camera has a sub-stream."""

    hls: str
    webrtc: str
    rtsp: str
    sub: SubUrls | None = None


class MosaicCamera(Out):
    camera_id: str = _uuid()
    name: str
    status: str
    urls: TileUrls


class TourOut(Out):
    dwell_s: int
    pages: list[list[str]]


class MosaicOut(Out):
    """A mosaic; `cameras` (every camera of the wall and of its tour, with live URLs) only on a single read."""

    id: str = _uuid()
    city_id: str = _uuid()
    name: str
    layout: Layout
    camera_ids: list[str]
    tour: TourOut | None = None
    created_at: datetime
    cameras: list[MosaicCamera] | None = None
