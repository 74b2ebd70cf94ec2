"""LPR's API models: the bulk endpoint's body, the search and trajectory queries, and what the API answers. Apart from
`schemas` (what a webhook and the ingest queue carry, and the rows of `plate_reads`, which the ingest worker reads)
so that the worker does not build them (ADR 0029)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from gtvision.core import vehicles
from gtvision.core.errors import Invalid, not_found
from gtvision.core.models import Out, PageQuery, Query, QueryTime, QueryUuid
from gtvision.lpr import plates
from gtvision.lpr.schemas import MATCHES, MAX_BULK_READS, BatchRead, Match

# ------------------------------------------------------------------------------------------ requests


class BulkIn(BaseModel):
    model_config = ConfigDict(defer_build=True, extra="forbid")

    reads: list[BatchRead] = Field(min_length=1, max_length=MAX_BULK_READS)


# ------------------------------------------------------------------------------------------- queries


def _range(from_: datetime | None, to: datetime | None) -> None:
    if from_ and to and from_ >= to:
        raise Invalid("invalid_range", "from deve ser anterior a to")


class LprSearchQuery(PageQuery):
    """`GET /v1/lpr/events`: exact plates by default; `prefix` and `fuzzy` need a plate."""

    plate: str | None = None
    match: Match = "exact"
    city_id: QueryUuid = None
    camera_id: str | None = Field(default=None, json_schema_extra={"format": "uuid"})
    from_: QueryTime = Field(default=None, alias="from")
    to: QueryTime = None
    color: str | None = Field(default=None, description="branco, preto, prata, cinza, vermelho, azul, verde, …")
    type: str | None = Field(default=None, description="carro, moto, caminhao, onibus, van, caminhonete, outro")

    @field_validator("match", mode="before")
    @classmethod
    def _match(cls, value: Any) -> str:
        if value in (None, ""):
            return "exact"
        if value not in MATCHES:
            raise Invalid("invalid_match", "match deve ser exact, prefix ou fuzzy")
        return str(value)

    @field_validator("camera_id", mode="before")
    @classmethod
    def _camera(cls, value: Any) -> str | None:
        if value in (None, ""):
            return None
        try:
            return str(uuid.UUID(str(value)))
        except ValueError:
            raise not_found("câmera") from None

    @field_validator("color", mode="before")
    @classmethod
    def _color(cls, value: Any) -> str | None:
        try:
            return vehicles.query_color(str(value) if value else None)
        except ValueError as exc:
            raise Invalid("invalid_vehicle_filter", str(exc)) from None

    @field_validator("type", mode="before")
    @classmethod
    def _type(cls, value: Any) -> str | None:
        try:
            return vehicles.query_type(str(value) if value else None)
        except ValueError as exc:
            raise Invalid("invalid_vehicle_filter", str(exc)) from None

    @model_validator(mode="after")
    def _plate(self) -> LprSearchQuery:
        if self.plate in (None, ""):
            self.plate = None
            if self.match != "exact":
                raise Invalid("plate_required", "informe a placa para busca prefix ou fuzzy")
        else:
            try:
                raw = str(self.plate)
                self.plate = plates.normalize_plate(raw) if self.match == "exact" else plates.clean_plate(raw)
            except ValueError as exc:
                raise Invalid("invalid_plate", str(exc)) from None
            if self.match == "fuzzy" and not plates.MIN_LEN <= len(self.plate) <= plates.MAX_LEN:
                raise Invalid("invalid_plate", "a busca aproximada precisa da placa inteira (5 a 8 caracteres)")
        _range(self.from_, self.to)
        return self


class TrajectoryQuery(Query):
    """`GET /v1/lpr/trajectory`: one plate, the last day unless told (at most 31 days)."""

    plate: str = ""
    city_id: QueryUuid = None
    from_: QueryTime = Field(default=None, alias="from")
    to: QueryTime = None

    @field_validator("plate", mode="before")
    @classmethod
    def _plate(cls, value: Any) -> str:
        try:
            return plates.normalize_plate(str(value or ""))
        except ValueError as exc:
            raise Invalid("invalid_plate", str(exc)) from None


# ------------------------------------------------------------------------------------------- answers


def _uuid(default: Any = ...) -> Any:
    return Field(default=default, json_schema_extra={"format": "uuid"})


class ReadId(Out):
    id: str = _uuid()


class BulkAccepted(Out):
    accepted: int
    messages: int


class VehicleOut(Out):
    """Contract colour/type, make/model, and the camera's own words."""

    color: str | None
    type: str | None
    make: str | None
    model: str | None
    color_raw: str | None
    type_raw: str | None


class PlateReadOut(Out):
    id: str = _uuid()
    plate: str
    format: plates.PlateFormat
    camera_id: str = _uuid()
    city_id: str = _uuid()
    captured_at: datetime
    confidence: float
    image_url: str | None
    vehicle: VehicleOut | None
    direction: str | None
    distance: float | None = Field(default=None, description="só na busca aproximada (match=fuzzy)")


class TrajectoryPoint(Out):
    id: str = _uuid()
    camera_id: str = _uuid()
    camera_name: str | None
    lat: float | None
    lon: float | None
    captured_at: datetime
    confidence: float
    image_url: str | None
    distance_km_from_previous: float | None
    speed_kmh_from_previous: float | None
    city_id: str = _uuid()
    #: Another city's read, seen through an inter-city grant.
    other_city: bool


class TrajectoryOut(Out):
    plate: str
    from_: datetime = Field(alias="from")
    to: datetime
    points: list[TrajectoryPoint]
    cameras_visited: list[str]
    max_speed_kmh: float | None
    truncated: bool
