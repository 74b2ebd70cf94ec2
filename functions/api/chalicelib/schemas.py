"""What the API answers and the query parameters it reads, as pydantic models (for `/v1/openapi.json`).

Response models list the fields always present and allow more (adding a field is not a breaking change).
Query models document parameters only: the views read them and answer 400/422 themselves.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field

from gtvision.core import models
from gtvision.core.pagination import MAX_LIMIT
from gtvision.streams.schemas import StreamUrls  # one model of a stream's URLs (mosaics show them too)

T = TypeVar("T")


def uuid_field(default: Any = ...) -> Any:
    """A UUID string (required unless a default is given)."""
    return Field(default=default, json_schema_extra={"format": "uuid"})


class Out(BaseModel):
    """A response object: the fields listed are always present; more may be added (not a breaking change)."""

    model_config = ConfigDict(defer_build=True, extra="allow")


# --------------------------------------------------------------------------------------------- errors


class ErrorDetail(Out):
    code: str = Field(description="snake_case")
    message: str = Field(description="texto para pessoas (pt-BR)")


class ErrorOut(Out):
    error: ErrorDetail


# --------------------------------------------------------------------------------------------- queries


class Query(BaseModel):
    """Query parameters (documentation only: the views read them and answer 400/422 themselves)."""

    model_config = ConfigDict(defer_build=True)


class PageQuery(Query):
    limit: int = Field(default=50, ge=1, le=MAX_LIMIT)
    cursor: str | None = Field(default=None, description="opaco, o next_cursor da página anterior")


class ClipsQuery(PageQuery):
    camera_id: str | None = uuid_field(None)
    status: Literal["queued", "processing", "ready", "failed"] | None = None


class LprSearchQuery(PageQuery):
    plate: str | None = None
    match: Literal["exact", "prefix", "fuzzy"] | None = None
    city_id: str | None = uuid_field(None)
    camera_id: str | None = uuid_field(None)
    from_: datetime | None = Field(default=None, alias="from")
    to: datetime | None = None
    color: str | None = Field(default=None, description="branco, preto, prata, cinza, vermelho, azul, verde, …")
    type: str | None = Field(default=None, description="carro, moto, caminhao, onibus, van, caminhonete, outro")


class TrajectoryQuery(Query):
    plate: str
    city_id: str | None = uuid_field(None)
    from_: datetime | None = Field(default=None, alias="from")
    to: datetime | None = None


class CityFilterQuery(PageQuery):
    city_id: str | None = uuid_field(None)


class AlertsQuery(CityFilterQuery):
    since: datetime | None = None
    kind: str | None = None
    open: bool | None = Field(default=None, description="true: só os não resolvidos (resolved_at nulo)")


class AssetQuery(Query):
    v: str | None = Field(default=None, description="hash do conteúdo (cache imutável)")


# --------------------------------------------------------------------------------------------- outputs


Page = models.Page  # one generic page model (core.models), whichever module declares the route


class ClipQueued(Out):
    id: str = uuid_field()
    status: Literal["queued"]


class ClipOut(Out):
    id: str = uuid_field()
    camera_id: str = uuid_field()
    city_id: str = uuid_field()
    start: datetime
    end: datetime
    mode: Literal["fast", "exact"]
    status: Literal["queued", "processing", "ready", "failed"]
    duration_s: float | None
    size_bytes: int | None
    sha256: str | None
    download_url: str | None
    manifest_url: str | None
    error: str | None
    held: bool
    hold_reason: str | None
    held_at: datetime | None
    requested_by: str | None
    created_at: datetime
    updated_at: datetime


class MosaicCamera(Out):
    camera_id: str = uuid_field()
    name: str
    status: str
    urls: StreamUrls


class MosaicOut(Out):
    id: str = uuid_field()
    city_id: str = uuid_field()
    name: str
    layout: str
    camera_ids: list[str]
    created_at: datetime
    cameras: list[MosaicCamera] | None = None


class ReadId(Out):
    id: str = uuid_field()


class BulkAccepted(Out):
    accepted: int
    messages: int


class PlateRead(Out):
    id: str = uuid_field()
    plate: str
    camera_id: str = uuid_field()
    city_id: str = uuid_field()
    captured_at: datetime
    confidence: float
    image_url: str | None
    vehicle: dict[str, Any] | None
    direction: str | None


class TrajectoryPoint(Out):
    id: str = uuid_field()
    camera_id: str = uuid_field()
    camera_name: str
    lat: float | None
    lon: float | None
    captured_at: datetime
    confidence: float
    image_url: str | None
    distance_km_from_previous: float | None
    speed_kmh_from_previous: float | None
    city_id: str = uuid_field()
    #: Another city's read, seen through an inter-city grant.
    other_city: bool


class Trajectory(Out):
    plate: str
    from_: datetime = Field(alias="from")
    to: datetime
    points: list[TrajectoryPoint]
    cameras_visited: list[str]
    max_speed_kmh: float | None
    truncated: bool


class WatchOut(Out):
    id: str = uuid_field()
    city_id: str = uuid_field()
    plate: str
    reason: str
    fuzzy: bool
    created_by: str | None
    created_at: datetime
    #: A partner's hotlist entry: its agreement, reference and expiry (null for the city's own entries).
    agreement_id: str | None = uuid_field()
    source_ref: str | None
    expires_at: datetime | None


class AlertOut(Out):
    id: str = uuid_field()
    kind: str
    plate: str | None
    camera_id: str | None
    captured_at: datetime | None
    read_ids: list[str]
    created_at: datetime
    city_id: str | None = uuid_field()  # null for ops alerts (they belong to no city)
    status: str
    watchlist_id: str | None
    detail: dict[str, Any] | None
    resolved_at: datetime | None = Field(description="quando o incidente de saúde terminou; nulo enquanto aberto")


class OpenApiDoc(Out):
    openapi: str
    paths: dict[str, Any]
