"""Mosaics: what a request takes (cameras and a layout), the rows of `mosaics`, and what the API answers (each
camera with its live URLs)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal
from uuid import UUID

from pydantic import Field

from gtvision.core.models import Out, Strict, UuidStr

Layout = Literal["1x1", "1x2", "2x2"]
#: Cells of each layout: a mosaic shows at most that many cameras.
CAPACITY: dict[str, int] = {"1x1": 1, "1x2": 2, "2x2": 4}
MAX_CAMERAS = max(CAPACITY.values())

# ------------------------------------------------------------------------------------------ requests


class MosaicIn(Strict):
    name: str = Field(min_length=1, max_length=120)
    camera_ids: list[UuidStr] = Field(min_length=1, max_length=MAX_CAMERAS)
    layout: Layout = "2x2"


class MosaicPatch(Strict):
    """Rename a mosaic, change its cameras or its layout."""

    name: str | None = Field(default=None, min_length=1, max_length=120)
    camera_ids: list[UuidStr] | None = Field(default=None, min_length=1, max_length=MAX_CAMERAS)
    layout: Layout | None = None


# ---------------------------------------------------------------------------------------------- rows


@dataclass(frozen=True, slots=True)
class Mosaic:
    """A mosaic (table `mosaics`)."""

    id: UUID
    city_id: UUID
    name: str
    layout: str
    camera_ids: list[UUID]
    created_by: UUID | None
    created_at: datetime


@dataclass(frozen=True, slots=True)
class MosaicCameraRow:
    """What a tile shows of a camera: its name and status (requested and observed)."""

    id: UUID
    name: str
    status: str
    health_status: str | None


# ------------------------------------------------------------------------------------------- answers


def _uuid() -> Any:
    return Field(json_schema_extra={"format": "uuid"})


class TileUrls(Out):
    """A camera's live URLs on its MediaMTX node."""

    hls: str
    webrtc: str
    rtsp: str


class MosaicCamera(Out):
    camera_id: str = _uuid()
    name: str
    status: str
    urls: TileUrls


class MosaicOut(Out):
    """A mosaic; `cameras` (each with its live URLs) only on a single read."""

    id: str = _uuid()
    city_id: str = _uuid()
    name: str
    layout: Layout
    camera_ids: list[str]
    created_at: datetime
    cameras: list[MosaicCamera] | None = None
