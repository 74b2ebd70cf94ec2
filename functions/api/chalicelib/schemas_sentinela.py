"""Response models of Sentinela and of the Intelbras/Dahua push (for `/v1/openapi.json`)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from chalicelib.schemas import Out, uuid_field


class SearchOut(Out):
    id: str = uuid_field()
    city_id: str = uuid_field()
    status: Literal["pending", "processing", "completed", "failed", "cancelled"]
    progress: float
    criteria: dict[str, Any]
    segments_total: int
    segments_done: int
    created_at: datetime
    finished_at: datetime | None
    error: str | None


class SightingOut(Out):
    id: str = uuid_field()
    camera_id: str = uuid_field()
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
    read_id: str | None


class ItsAnswer(Out):
    """What an Intelbras/Dahua camera expects; `Result: true` stops its resends."""

    Result: bool
    Message: str
