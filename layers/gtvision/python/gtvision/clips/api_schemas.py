"""Clips' API models: what the clip routes take (a clip to make, a legal hold, the list's filters) and answer.
Apart from `schemas` (the rows and the worker's job message) so that the workers do not build them (ADR 0029)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import Field, field_validator

from gtvision.clips.schemas import STATUSES, Mode, Status
from gtvision.core.errors import Invalid, not_found
from gtvision.core.ids import UUID_PATTERN, is_uuid
from gtvision.core.models import Out, PageQuery, Strict
from gtvision.core.timeutil import parse_rfc3339

# ------------------------------------------------------------------------------------------ requests


class ClipIn(Strict):
    camera_id: str = Field(pattern=UUID_PATTERN)
    start: datetime
    end: datetime
    mode: Mode = "fast"

    @field_validator("start", "end", mode="before")
    @classmethod
    def _rfc3339(cls, value: Any) -> datetime:
        return parse_rfc3339(value)


class HoldIn(Strict):
    reason: str = Field(min_length=1, max_length=1000)
    #: The case the hold is for (the clip becomes one of its items); the caller must be able to change it.
    case_id: str | None = Field(default=None, pattern=UUID_PATTERN)


class ClipsQuery(PageQuery):
    """`GET /v1/clips`: newest first, optionally one camera's (another city's camera: 404) or one status."""

    camera_id: str | None = Field(default=None, json_schema_extra={"format": "uuid"})
    status: Status | None = None

    @field_validator("camera_id", mode="before")
    @classmethod
    def _camera(cls, value: Any) -> str | None:
        if value in (None, ""):
            return None
        if not is_uuid(value):
            raise not_found("câmera")
        return str(value).lower()

    @field_validator("status", mode="before")
    @classmethod
    def _status(cls, value: Any) -> str | None:
        if value in (None, ""):
            return None
        if value not in STATUSES:
            raise Invalid("invalid_status", f"status deve ser um de: {', '.join(STATUSES)}")
        return str(value)


# ------------------------------------------------------------------------------------------- answers


def _uuid(description: str = "") -> Any:
    return Field(json_schema_extra={"format": "uuid"}, description=description or None)


class ClipQueued(Out):
    id: str = _uuid()
    status: Literal["queued"]


class ClipOut(Out):
    """A clip as the API shows it: presigned `download_url` and `manifest_url` only once ready."""

    id: str = _uuid()
    camera_id: str = _uuid()
    city_id: str = _uuid()
    start: datetime
    end: datetime
    mode: Mode
    status: Status
    duration_s: float | None
    size_bytes: int | None
    sha256: str | None
    download_url: str | None
    manifest_url: str | None
    error: str | None
    held: bool
    hold_reason: str | None
    held_at: datetime | None
    hold_case_id: str | None = _uuid()
    requested_by: str | None = _uuid()
    created_at: datetime
    updated_at: datetime
