"""Clips: what a request takes (an export, a legal hold, the worker's job message), the rows of `clips`, and
what the API answers."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, field_validator

from gtvision.core.errors import Invalid, not_found
from gtvision.core.models import UUID_PATTERN, Out, PageQuery, Strict, is_uuid
from gtvision.core.timeutil import parse_rfc3339

Mode = Literal["fast", "exact"]
Status = Literal["queued", "processing", "ready", "failed"]
STATUSES: tuple[Status, ...] = ("queued", "processing", "ready", "failed")

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


class ClipJob(BaseModel):
    """One message of the clip queue: only the id; the worker reads everything else from the row."""

    model_config = ConfigDict(defer_build=True, extra="ignore")

    clip_id: str = Field(pattern=UUID_PATTERN)


# ---------------------------------------------------------------------------------------------- rows


@dataclass(frozen=True, slots=True)
class Clip:
    """A clip (table `clips`)."""

    id: UUID
    camera_id: UUID
    city_id: UUID
    start_at: datetime
    end_at: datetime
    mode: Mode
    status: Status
    duration_s: float | None
    size_bytes: int | None
    sha256: str | None
    s3_key: str | None
    manifest_key: str | None
    error: str | None
    requested_by: UUID | None
    requested_by_name: str | None
    attempts: int
    held: bool
    hold_reason: str | None
    held_by: UUID | None
    held_at: datetime | None
    created_at: datetime
    updated_at: datetime
    #: While a worker holds the clip: until when its claim stands.
    lease_until: datetime | None
    #: The case a legal hold is for, if any.
    hold_case_id: UUID | None


@dataclass(frozen=True, slots=True)
class StaleClip:
    """An unfinished clip nobody is working on (the reconciler's view)."""

    id: UUID
    status: Status
    attempts: int
    requeues: int


@dataclass(frozen=True, slots=True)
class EvidenceNames:
    """Camera and city names for the evidence manifest."""

    camera_name: str | None
    city_name: str | None
    city_state: str | None


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
