"""Query and response models of stream health: a camera's stream metrics and a city's health."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import Field

from chalicelib.schemas import Out, Query, uuid_field


class StreamMetricsQuery(Query):
    from_: datetime | None = Field(default=None, alias="from", description="início (RFC 3339); padrão: 1 h atrás")
    to: datetime | None = Field(default=None, description="fim (RFC 3339, excluído); padrão: agora; até 7 dias")


class StreamCurrent(Out):
    inbound_kbps: float | None
    fps: float | None
    frames_in_error: int | None
    readers: int | None
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


class StreamMetricsOut(Out):
    camera_id: str = uuid_field()
    status: Literal["online", "offline", "unknown"]
    since: datetime | None
    current: StreamCurrent
    samples: list[StreamSample]


class CityHealthOut(Out):
    cameras: int
    online: int
    offline: int
    unknown: int
    recording_stalled: list[str]
    lpr_reads_last_hour: int
    open_alerts: int


class HookAccepted(Out):
    status: Literal["recorded", "ignored"]
