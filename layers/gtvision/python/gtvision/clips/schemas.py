"""Clips: the worker's job message and the rows of `clips`. What the clip routes take and answer is in
`api_schemas`."""

from __future__ import annotations

from datetime import datetime
from typing import Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from gtvision.core.ids import UUID_PATTERN
from gtvision.core.rows import rowtype

Mode = Literal["fast", "exact"]
Status = Literal["queued", "processing", "ready", "failed"]
STATUSES: tuple[Status, ...] = ("queued", "processing", "ready", "failed")
#: Claims of a clip (real attempts at cutting it): the last one fails it instead of retrying.
MAX_ATTEMPTS = 3


class ClipJob(BaseModel):
    """One message of the clip queue: only the id; the worker reads everything else from the row."""

    model_config = ConfigDict(defer_build=True, extra="ignore")

    clip_id: str = Field(pattern=UUID_PATTERN)


# ---------------------------------------------------------------------------------------------- rows


@rowtype
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


@rowtype
class StaleClip:
    """An unfinished clip nobody is working on (the reconciler's view)."""

    id: UUID
    status: Status
    attempts: int
    requeues: int


@rowtype
class EvidenceNames:
    """Camera and city names for the evidence manifest."""

    camera_name: str | None
    city_name: str | None
    city_state: str | None
