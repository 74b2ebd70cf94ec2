"""Availability: the query, the rows the report is computed from, and the answer."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any, Literal
from uuid import UUID

from pydantic import Field, field_validator

from gtvision.core.errors import Invalid
from gtvision.core.models import Out, Query
from gtvision.core.rows import rowtype

_MONTH = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")


class SlaQuery(Query):
    """`?month=YYYY-MM` (default: the current month in the city's timezone) and `format=json|csv`."""

    month: str | None = Field(default=None, description="AAAA-MM, no fuso da cidade; padrão: o mês corrente")
    format: Literal["json", "csv"] = "json"

    @field_validator("month", mode="before")
    @classmethod
    def _month(cls, value: Any) -> str | None:
        if value in (None, ""):
            return None
        match = _MONTH.match(str(value))
        if match is None or not 2000 <= int(match.group(1)) <= 2199:
            raise Invalid("invalid_month", "month deve ser AAAA-MM (ex.: 2026-11)")
        return str(value)

    @field_validator("format", mode="before")
    @classmethod
    def _format(cls, value: Any) -> str:
        if value in (None, ""):
            return "json"
        if value not in ("json", "csv"):
            raise Invalid("invalid_format", "format deve ser json ou csv")
        return str(value)


@rowtype
class CameraWindow:
    """A camera of the city and what the report needs of it."""

    id: UUID
    name: str
    created_at: datetime
    #: What a manager last asked for (registered | streaming | stopped).
    status: str


@rowtype
class Span:
    """A stretch of continuous recording of a camera (segments ≤ 1 s apart merged)."""

    camera_id: UUID
    start: datetime
    end: datetime


@rowtype
class ManagerChange:
    """A start or a stop by a manager (`camera_status_changes` with source `manager`)."""

    camera_id: UUID
    status: str
    at: datetime


class SlaCamera(Out):
    camera_id: str = Field(json_schema_extra={"format": "uuid"})
    name: str
    expected_s: float = Field(description="segundos em que a câmera devia gravar (menos as paradas pedidas)")
    recorded_s: float = Field(description="segundos gravados dentro do esperado")
    availability: float | None = Field(description="recorded_s / expected_s (0–1); null sem tempo esperado")
    incidents: int = Field(description="falhas de gravação de 60 s ou mais dentro do esperado")
    longest_gap_s: float


class SlaOut(Out):
    city_id: str = Field(json_schema_extra={"format": "uuid"})
    month: str
    timezone: str
    start: datetime
    end: datetime = Field(description="fim do mês, ou agora para o mês corrente")
    cameras: list[SlaCamera]
    availability: float | None = Field(description="soma gravada / soma esperada da cidade")
