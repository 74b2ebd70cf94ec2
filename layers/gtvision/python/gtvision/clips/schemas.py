"""Request models of clips (an export request, a legal hold) and the clip worker's job message."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from gtvision.core.models import UUID_PATTERN, Strict
from gtvision.core.timeutil import parse_rfc3339


class ClipIn(Strict):
    camera_id: str = Field(pattern=UUID_PATTERN)
    start: datetime
    end: datetime
    mode: Literal["fast", "exact"] = "fast"

    @field_validator("start", "end", mode="before")
    @classmethod
    def _rfc3339(cls, value: Any) -> datetime:
        return parse_rfc3339(value)


class HoldIn(Strict):
    reason: str = Field(min_length=1, max_length=1000)


class ClipJob(BaseModel):
    """One message of the clip queue: only the id; the worker reads everything else from the row."""

    model_config = ConfigDict(defer_build=True, extra="ignore")

    clip_id: str = Field(pattern=UUID_PATTERN)
