"""Request model of a mosaic: up to four cameras of one city and a layout."""

from __future__ import annotations

from pydantic import Field

from gtvision.core.models import Strict, UuidStr


class MosaicIn(Strict):
    name: str = Field(min_length=1, max_length=120)
    camera_ids: list[UuidStr] = Field(min_length=1, max_length=4)
    layout: str = Field(default="2x2", pattern=r"^(1x1|1x2|2x2)$")


class MosaicPatch(Strict):
    """Rename a mosaic, change its cameras or its layout (issue 16: the console edits mosaics in place)."""

    name: str | None = Field(default=None, min_length=1, max_length=120)
    camera_ids: list[UuidStr] | None = Field(default=None, min_length=1, max_length=4)
    layout: str | None = Field(default=None, pattern=r"^(1x1|1x2|2x2)$")
