"""Request models of clips: an export request and a legal hold."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import Field, field_validator

from gtvision.models.common import UUID_PATTERN, Strict
from gtvision.timeutil import parse_rfc3339


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
