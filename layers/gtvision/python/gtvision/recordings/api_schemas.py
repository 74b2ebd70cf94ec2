"""Recordings' API models: the rows of the timeline's and thumbnails' reads, what the recordings routes read from
the query string and what they answer (timeline, thumbnails, reference view). Apart from `schemas` (the segment
index's rows, which the workers read) so that the workers do not build them (ADR 0029)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated, Any, ClassVar, Literal

from pydantic import BeforeValidator, Field, ValidationInfo, model_validator

from gtvision.core.errors import Invalid
from gtvision.core.models import Limit, Out, Query
from gtvision.core.pagination import DEFAULT_LIMIT
from gtvision.core.rows import rowtype
from gtvision.core.timeutil import query_time
from gtvision.recordings.schemas import MAX_PLAYBACK_RANGE, MAX_RANGE, PlaybackQuality

# ---------------------------------------------------------------------------------------------- rows


@rowtype
class ThumbnailRow:
    start_at: datetime
    thumb_key: str


@rowtype
class TimelineRow:
    """The timeline statement's one row: spans and gaps as parallel arrays, coverage and count."""

    span_starts: list[datetime]
    span_ends: list[datetime]
    gap_starts: list[datetime]
    gap_ends: list[datetime]
    covered_s: float
    segments: int


# ------------------------------------------------------------------------------------------- queries

_EXAMPLE = "2026-11-23T14:05:00Z"


def _range_time(value: Any, info: ValidationInfo) -> datetime | None:
    if isinstance(value, datetime):
        return value
    name = (info.field_name or "").rstrip("_")
    return query_time(None if value is None else str(value), name, code="invalid_range")


RangeTime = Annotated[datetime | None, BeforeValidator(_range_time)]


def check_range(from_: datetime | None, to: datetime | None, max_range: timedelta) -> tuple[datetime, datetime]:
    """`from`/`to` both given, to > from, at most `max_range` apart; 422 `invalid_range` otherwise."""
    for name, value in (("from", from_), ("to", to)):
        if value is None:
            raise Invalid("invalid_range", f"parâmetro '{name}' é obrigatório (RFC 3339, ex.: {_EXAMPLE})")
    assert from_ is not None and to is not None
    if to <= from_:
        raise Invalid("invalid_range", "'to' deve ser posterior a 'from'")
    if to - from_ > max_range:
        hours = int(max_range.total_seconds() // 3600)
        limit = f"{hours // 24} dias" if hours > 48 else f"{hours} horas"
        raise Invalid("invalid_range", f"o intervalo máximo é de {limit}")
    return from_, to


class RangeQuery(Query):
    """`?from&to` (RFC 3339, required, half-open, at most 31 days)."""

    #: The longest range the route accepts.
    MAX: ClassVar[timedelta] = MAX_RANGE

    from_: RangeTime = Field(alias="from", description="início (RFC 3339, incluído)")
    to: RangeTime = Field(description="fim (RFC 3339, excluído)")

    @model_validator(mode="before")
    @classmethod
    def _present(cls, data: Any) -> Any:
        for name in ("from", "to"):  # required, with the contract's code (not pydantic's `missing`)
            if isinstance(data, dict) and data.get(name) in (None, "") and data.get(f"{name}_") is None:
                raise Invalid("invalid_range", f"parâmetro '{name}' é obrigatório (RFC 3339, ex.: {_EXAMPLE})")
        return data

    @model_validator(mode="after")
    def _bounded(self) -> RangeQuery:
        check_range(self.from_, self.to, type(self).MAX)
        return self

    @property
    def start(self) -> datetime:
        assert self.from_ is not None
        return self.from_

    @property
    def end(self) -> datetime:
        assert self.to is not None
        return self.to


class ThumbnailsQuery(RangeQuery):
    limit: Limit = DEFAULT_LIMIT
    cursor: str | None = Field(default=None, description="opaco, o next_cursor da página anterior")


def _quality(value: Any) -> str:
    if value in (None, ""):
        return "best"
    if value not in ("main", "sub", "best"):
        raise Invalid("invalid_quality", "quality deve ser main, sub ou best")
    return str(value)


class PlaybackQuery(RangeQuery):
    """`?from&to` (at most 24 h) and `quality` (default `best`: main where it exists, sub elsewhere)."""

    MAX: ClassVar[timedelta] = MAX_PLAYBACK_RANGE

    quality: Annotated[PlaybackQuality, BeforeValidator(_quality)] = Field(
        default="best", description="main | sub | best (padrão: principal onde houver, sub-stream no resto)"
    )


# ------------------------------------------------------------------------------------------- answers


def _uuid() -> Any:
    return Field(json_schema_extra={"format": "uuid"})


class Span(Out):
    start: datetime
    end: datetime


class Timeline(Out):
    """Recorded spans (either quality; segments ≤ 1 s apart merged), gaps, coverage and segment count."""

    camera_id: str = _uuid()
    from_: datetime = Field(alias="from")
    to: datetime
    spans: list[Span]
    gaps: list[Span]
    coverage: float = Field(ge=0, le=1)
    segments: int


class Thumbnail(Out):
    at: datetime
    url: str


class ReferenceViewOut(Out):
    """The view tamper detection compares the camera's picture with."""

    camera_id: str = _uuid()
    taken_at: datetime = Field(description="início do segmento de onde a vista foi tirada")
    source: Literal["first_recording", "manager"]
    thumbnail_url: str | None
