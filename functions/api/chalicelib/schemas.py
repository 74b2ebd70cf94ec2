"""What the API answers and the query parameters it reads, as pydantic models (for `/v1/openapi.json`).

Response models list the fields always present and allow more (adding a field is not a breaking change).
Query models document parameters only: the views read them and answer 400/422 themselves.
"""

from __future__ import annotations

from datetime import date, datetime
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


class AuditFilters(Query):
    from_: datetime | None = Field(default=None, alias="from")
    to: datetime | None = None
    user_id: str | None = uuid_field(None)
    action: str | None = None


class AuditQuery(AuditFilters, PageQuery):
    pass


class AuditExportQuery(AuditFilters):
    cursor: str | None = None


class AssetQuery(Query):
    v: str | None = Field(default=None, description="hash do conteúdo (cache imutável)")


# --------------------------------------------------------------------------------------------- outputs


Page = models.Page  # one generic page model (core.models), whichever module declares the route


class Health(Out):
    status: Literal["ok", "degraded"]
    checks: dict[str, str]


class Token(Out):
    access_token: str
    token_type: Literal["Bearer"]
    expires_in: int
    refresh_token: str = Field(description="uso único: POST /v1/auth/refresh devolve o próximo")
    refresh_expires_in: int


class UserOut(Out):
    id: str = uuid_field()
    username: str
    role: Literal["admin", "manager", "operator", "viewer"]
    city_id: str | None
    created_at: datetime


class CityOut(Out):
    id: str = uuid_field()
    name: str
    state: str
    retention_days: int
    lpr_retention_days: int
    camera_limit: int
    timezone: str
    created_at: datetime
    updated_at: datetime
    full_quality_days: int | None = Field(default=None, description="dias em qualidade total (o resto: sub-stream)")


class LocationOut(Out):
    lat: float
    lon: float
    address: str | None


class CameraOut(Out):
    id: str = uuid_field()
    city_id: str = uuid_field()
    name: str
    source_url: str
    username: str | None
    has_credentials: bool
    location: LocationOut | None
    lpr_enabled: bool
    substream_url: str | None = Field(default=None, description="sub-stream da câmera (sem credenciais)")
    status: str = Field(description="estado observado: online, offline ou unknown")
    stream_status: str = Field(description="o pedido do gestor: registered, streaming ou stopped")
    lpr_digest_username: str | None = None
    lpr_keepalive_at: datetime | None = None
    created_at: datetime
    updated_at: datetime
    webhook_secret: str | None = Field(default=None, description="só na criação, ao ligar o LPR ou ao rotacionar")


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


class AlertOut(Out):
    id: str = uuid_field()
    kind: str
    plate: str | None
    camera_id: str | None
    captured_at: datetime | None
    read_ids: list[str]
    created_at: datetime
    city_id: str = uuid_field()
    status: str
    watchlist_id: str | None
    detail: dict[str, Any] | None
    resolved_at: datetime | None = Field(description="quando o incidente de saúde terminou; nulo enquanto aberto")


class AuditEntry(Out):
    id: int
    at: datetime
    user_id: str | None
    actor: str | None
    role: str | None
    city_id: str | None
    action: str
    resource: str | None
    status: int | None
    source_ip: str | None
    request_id: str | None
    detail: dict[str, Any] | None


class Profile(Out):
    id: str = uuid_field()
    username: str
    role: str
    city_id: str | None
    pseudonym: str | None
    created_at: datetime


class MyData(Out):
    generated_at: datetime
    user: Profile
    audit_entries: list[dict[str, Any]]


class PlateRequest(Out):
    plate: str
    generated_at: datetime
    answer_due_if_received_today: date
    reads: list[dict[str, Any]]
    reads_total: int
    anonymised_reads: int
    cities: list[str]
    alerts: list[dict[str, Any]]
    truncated: bool


class OpenApiDoc(Out):
    openapi: str
    paths: dict[str, Any]
