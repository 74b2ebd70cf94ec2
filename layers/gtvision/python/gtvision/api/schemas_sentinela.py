"""Response models of Sentinela searches and the Intelbras/Dahua push (for `/v1/openapi.json`)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import Field

from gtvision.api.schemas import Out, uuid_field


class SearchOut(Out):
    id: str = uuid_field()
    city_id: str = uuid_field()
    status: Literal["pending", "processing", "completed", "failed", "cancelled"]
    progress: float = Field(ge=0, le=1)
    criteria: dict[str, Any]
    created_at: datetime
    finished_at: datetime | None
    error: str | None


class Sighting(Out):
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
    bbox: Any


class IntelbrasAck(Out):
    Result: bool
    Message: str
