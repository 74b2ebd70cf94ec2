"""Request model of Sentinela searches."""

from __future__ import annotations

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from gtvision.core.models import UuidStr

MAX_CAMERAS = 200


class SearchIn(BaseModel):
    model_config = ConfigDict(defer_build=True, extra="forbid", str_strip_whitespace=True)

    plate: str | None = Field(default=None, min_length=1, max_length=16)
    color: str | None = Field(default=None, min_length=1, max_length=32)
    type: str | None = Field(default=None, min_length=1, max_length=32)
    from_: AwareDatetime = Field(alias="from")
    to: AwareDatetime
    camera_ids: list[UuidStr] | None = Field(default=None, max_length=MAX_CAMERAS)
    analyse_video: bool = False
