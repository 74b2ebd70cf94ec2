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


class OpenApiDoc(Out):
    openapi: str
    paths: dict[str, Any]
