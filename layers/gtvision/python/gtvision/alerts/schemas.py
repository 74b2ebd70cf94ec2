"""Request models of watchlists and alerts."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from gtvision.core.models import UuidStr


class WatchIn(BaseModel):
    model_config = ConfigDict(defer_build=True, extra="forbid", str_strip_whitespace=True)

    plate: str = Field(min_length=1, max_length=32)
    reason: str = Field(min_length=1, max_length=500)
    fuzzy: bool = False
    city_id: UuidStr | None = None  # admins say which city; others get their own


class AlertPatch(BaseModel):
    model_config = ConfigDict(defer_build=True, extra="forbid")

    status: Literal["open", "investigating", "closed"]
