"""What each route takes and answers, as pydantic models: the source of `/v1/openapi.json`.

Request bodies are the models the views validate with (one definition, so the document cannot drift from
the validation); query parameters and responses are described here. `OPERATIONS` names every route of the
app — `tests/unit/test_openapi.py` fails when a route has no entry, so a new route is documented when it
is added.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Generic, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field

from gtvision import models
from gtvision.logic import alerts, clips, lpr, mosaics, sessions
from gtvision.pagination import MAX_LIMIT

T = TypeVar("T")



def uuid_field(default: Any = ...) -> Any:
    """A UUID string (required unless a default is given)."""
    return Field(default=default, json_schema_extra={"format": "uuid"})



class Out(BaseModel):
    """A response object: the fields listed are always present; more may be added (not a breaking change)."""

    model_config = ConfigDict(extra="allow")


# --------------------------------------------------------------------------------------------- errors


class ErrorDetail(Out):
    code: str = Field(description="snake_case")
    message: str = Field(description="texto para pessoas (pt-BR)")


class ErrorOut(Out):
    error: ErrorDetail


# --------------------------------------------------------------------------------------------- queries


class Query(BaseModel):
    """Query parameters (documentation only: the views read them and answer 400/422 themselves)."""


class PageQuery(Query):
    limit: int = Field(default=50, ge=1, le=MAX_LIMIT)
    cursor: str | None = Field(default=None, description="opaco, o next_cursor da página anterior")


class RangeQuery(Query):
    from_: datetime = Field(alias="from", description="início (RFC 3339, incluído)")
    to: datetime = Field(description="fim (RFC 3339, excluído)")


class RangePageQuery(RangeQuery, PageQuery):
    pass


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


class Page(Out, Generic[T]):
    items: list[T]
    next_cursor: str | None


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
    role: Literal["admin", "manager", "viewer"]
    city_id: str | None
    created_at: datetime


class CityOut(Out):
    id: str = uuid_field()
    name: str
    state: str
    retention_days: int
    lpr_retention_days: int
    camera_limit: int
    created_at: datetime
    updated_at: datetime


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
    status: str
    created_at: datetime
    updated_at: datetime
    webhook_secret: str | None = Field(default=None, description="só na criação, ao ligar o LPR ou ao rotacionar")


class Span(Out):
    start: datetime
    end: datetime


class Timeline(Out):
    camera_id: str = uuid_field()
    from_: datetime = Field(alias="from")
    to: datetime
    spans: list[Span]
    gaps: list[Span]
    coverage: float = Field(ge=0, le=1)
    segments: int


class Thumbnail(Out):
    at: datetime
    url: str


class StreamUrls(Out):
    hls: str
    webrtc: str
    rtsp: str


class StreamOut(Out):
    camera_id: str = uuid_field()
    status: str
    urls: StreamUrls | None
    live: dict[str, Any] | None = None


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


# ------------------------------------------------------------------------------------------ operations


@dataclass(frozen=True)
class Operation:
    """One route: its success status, body model, query model and response (a model, a media type, or None)."""

    status: int = 200
    body: type[BaseModel] | None = None
    query: type[Query] | None = None
    response: type[BaseModel] | str | None = None
    #: Other documented non-error answers (status → description), e.g. a redirect.
    also: tuple[tuple[int, str], ...] = ()


HLS = "application/vnd.apple.mpegurl"
CSV = "text/csv"
HTML = "text/html"
ASSET = "text/javascript"

OPERATIONS: dict[tuple[str, str], Operation] = {
    ("GET", "/"): Operation(302, response=None),
    ("GET", "/console"): Operation(response=HTML, also=((301, "barra final removida"), (304, "não modificado"))),
    ("GET", "/console/{asset_name}"): Operation(query=AssetQuery, response=ASSET, also=((304, "não modificado"),)),
    ("GET", "/v1/openapi.json"): Operation(response=OpenApiDoc),
    ("GET", "/v1/health"): Operation(response=Health, also=((503, "dependência indisponível"),)),
    ("POST", "/v1/auth/login"): Operation(body=models.Login, response=Token),
    ("POST", "/v1/auth/refresh"): Operation(body=sessions.RefreshIn, response=Token),
    ("POST", "/v1/auth/logout"): Operation(204),
    # users
    ("POST", "/v1/users"): Operation(201, body=models.UserIn, response=UserOut),
    ("GET", "/v1/users"): Operation(query=PageQuery, response=Page[UserOut]),
    ("DELETE", "/v1/users/{user_id}"): Operation(204),
    # cities and cameras
    ("POST", "/v1/cities"): Operation(201, body=models.CityIn, response=CityOut),
    ("GET", "/v1/cities"): Operation(query=PageQuery, response=Page[CityOut]),
    ("GET", "/v1/cities/{city_id}"): Operation(response=CityOut),
    ("PATCH", "/v1/cities/{city_id}"): Operation(body=models.CityPatch, response=CityOut),
    ("DELETE", "/v1/cities/{city_id}"): Operation(204),
    ("POST", "/v1/cities/{city_id}/cameras"): Operation(201, body=models.CameraIn, response=CameraOut),
    ("GET", "/v1/cities/{city_id}/cameras"): Operation(query=PageQuery, response=Page[CameraOut]),
    ("GET", "/v1/cameras/{camera_id}"): Operation(response=CameraOut),
    ("PATCH", "/v1/cameras/{camera_id}"): Operation(body=models.CameraPatch, response=CameraOut),
    ("DELETE", "/v1/cameras/{camera_id}"): Operation(204),
    # recordings and live
    ("GET", "/v1/cameras/{camera_id}/timeline"): Operation(query=RangeQuery, response=Timeline),
    ("GET", "/v1/cameras/{camera_id}/thumbnails"): Operation(query=RangePageQuery, response=Page[Thumbnail]),
    ("GET", "/v1/cameras/{camera_id}/playback.m3u8"): Operation(query=RangeQuery, response=HLS),
    ("POST", "/v1/cameras/{camera_id}/stream/start"): Operation(response=StreamOut),
    ("POST", "/v1/cameras/{camera_id}/stream/stop"): Operation(response=StreamOut),
    ("GET", "/v1/cameras/{camera_id}/stream"): Operation(response=StreamOut),
    # clips
    ("POST", "/v1/clips"): Operation(202, body=clips.ClipIn, response=ClipQueued),
    ("GET", "/v1/clips"): Operation(query=ClipsQuery, response=Page[ClipOut]),
    ("GET", "/v1/clips/{clip_id}"): Operation(response=ClipOut),
    ("POST", "/v1/clips/{clip_id}/hold"): Operation(body=clips.HoldIn, response=ClipOut),
    ("DELETE", "/v1/clips/{clip_id}/hold"): Operation(response=ClipOut),
    # mosaics
    ("POST", "/v1/mosaics"): Operation(201, body=mosaics.MosaicIn, response=MosaicOut),
    ("GET", "/v1/mosaics"): Operation(query=PageQuery, response=Page[MosaicOut]),
    ("GET", "/v1/mosaics/{mosaic_id}"): Operation(response=MosaicOut),
    ("DELETE", "/v1/mosaics/{mosaic_id}"): Operation(204),
    # LPR
    ("POST", "/v1/lpr/events"): Operation(202, body=lpr.WebhookRead, response=ReadId),
    ("POST", "/v1/lpr/batch"): Operation(202, body=lpr.BulkIn, response=BulkAccepted),
    ("GET", "/v1/lpr/events"): Operation(query=LprSearchQuery, response=Page[PlateRead]),
    ("GET", "/v1/lpr/trajectory"): Operation(query=TrajectoryQuery, response=Trajectory),
    ("POST", "/v1/watchlist"): Operation(201, body=alerts.WatchIn, response=WatchOut),
    ("GET", "/v1/watchlist"): Operation(query=CityFilterQuery, response=Page[WatchOut]),
    ("DELETE", "/v1/watchlist/{watchlist_id}"): Operation(204),
    ("GET", "/v1/alerts"): Operation(query=AlertsQuery, response=Page[AlertOut]),
    ("PATCH", "/v1/alerts/{alert_id}"): Operation(body=alerts.AlertPatch, response=AlertOut),
    # audit and LGPD
    ("GET", "/v1/audit"): Operation(query=AuditQuery, response=Page[AuditEntry]),
    ("GET", "/v1/audit/export.csv"): Operation(query=AuditExportQuery, response=CSV),
    ("GET", "/v1/me"): Operation(response=Profile),
    ("GET", "/v1/me/export"): Operation(response=MyData),
    ("DELETE", "/v1/me"): Operation(204),
    ("GET", "/v1/lgpd/plates/{plate}"): Operation(response=PlateRequest),
}
