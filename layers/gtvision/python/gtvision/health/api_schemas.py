"""Stream and recording health's API models: the metrics query and the answers. Apart from `schemas` (the rows the
poller reads) so that the health worker does not build them (ADR 0029)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from pydantic import BeforeValidator, Field, ValidationInfo

from gtvision.core.models import Out, Query
from gtvision.core.timeutil import query_time
from gtvision.health.schemas import Status

# ------------------------------------------------------------------------------------------- queries


def _time(value: Any, info: ValidationInfo) -> datetime | None:
    if isinstance(value, datetime):
        return value
    return query_time(None if value is None else str(value), (info.field_name or "").rstrip("_"), code="invalid_range")


class StreamMetricsQuery(Query):
    from_: Annotated[datetime | None, BeforeValidator(_time)] = Field(
        default=None, alias="from", description="início (RFC 3339); padrão: 1 h atrás"
    )
    to: Annotated[datetime | None, BeforeValidator(_time)] = Field(
        default=None, description="fim (RFC 3339, excluído); padrão: agora; até 7 dias"
    )


# ------------------------------------------------------------------------------------------- answers


class StreamCurrent(Out):
    inbound_kbps: float | None
    fps: float | None
    frames_in_error: int | None
    readers: int | None
    readers_by_type: dict[str, int]
    codec: str | None
    width: int | None
    height: int | None
    recording_lag_s: float | None


class StreamSample(Out):
    at: datetime
    online: bool
    inbound_kbps: float | None
    frames_in_error: int | None
    readers: int | None
    fps: float | None
    recording_lag_s: float | None


class StreamMetricsOut(Out):
    camera_id: str = Field(json_schema_extra={"format": "uuid"})
    city_id: str = Field(json_schema_extra={"format": "uuid"})
    status: Status
    since: datetime | None
    current: StreamCurrent
    samples: list[StreamSample]


class TroubledCamera(Out):
    camera_id: str = Field(json_schema_extra={"format": "uuid"})
    name: str
    status: str
    since: datetime | None
    recording_lag_s: float | None


class CityHealthOut(Out):
    city_id: str = Field(json_schema_extra={"format": "uuid"})
    cameras: int
    online: int
    offline: int
    unknown: int
    stopped: int
    recording_stalled: list[str]
    lpr_reads_last_hour: int
    open_alerts: int
    troubled: list[TroubledCamera]
